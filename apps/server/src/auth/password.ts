import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt at OWASP's recommended parameters (N=2^17, r=8, p=1). It needs 128 MiB per
// hash (128 * N * r bytes), above Node's 32 MiB default `maxmem`, hence the raise.
// Stored as `scrypt$N$r$p$salt$hash` (base64url) so parameters can be raised later
// without breaking existing hashes.

const COST = 2 ** 17;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function optionsFor(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(password, salt, optionsFor(COST, BLOCK_SIZE, PARALLELIZATION));
  return [
    'scrypt',
    COST,
    BLOCK_SIZE,
    PARALLELIZATION,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

interface ScryptHash {
  options: ScryptOptions;
  salt: Buffer;
  expected: Buffer;
}

function parseScryptHash(stored: string): ScryptHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
  const expected = Buffer.from(parts[5] as string, 'base64url');
  if (expected.length !== KEY_LENGTH) return null;
  return { options: optionsFor(N, r, p), salt: Buffer.from(parts[4] as string, 'base64url'), expected };
}

/**
 * Compares in constant time; false for a stored hash that is not ours (e.g. an
 * imported bcrypt `$2a$…`), but only after hashing against the dummy hash: answering
 * at once would tell apart that account from a wrong password by timing.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseScryptHash(stored);
  if (!hash) {
    const dummy = parseScryptHash(await passwordHashForUnknownUser());
    if (dummy) await scryptAsync(password, dummy.salt, dummy.options);
    return false;
  }
  const actual = await scryptAsync(password, hash.salt, hash.options);
  return timingSafeEqual(actual, hash.expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * A real hash to compare against when the email is unknown, so a sign-in for a
 * missing account takes as long as one with a wrong password.
 */
export function passwordHashForUnknownUser(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  return dummyHash;
}
