import { beforeEach, describe, expect, it, vi } from 'vitest';

// Count the KDF's runs: a deterministic stand-in for "takes as long as a wrong password".
const kdf = vi.hoisted(() => ({ calls: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const scrypt = ((...args: Parameters<typeof crypto.scrypt>) => {
    kdf.calls += 1;
    return crypto.scrypt(...args);
  }) as typeof crypto.scrypt;
  return { ...crypto, default: { ...crypto, scrypt }, scrypt };
});

const { hashPassword, passwordHashForUnknownUser, verifyPassword } = await import('../src/auth/password.ts');

describe('verifyPassword does the same work whatever the stored hash looks like', () => {
  beforeEach(async () => {
    await passwordHashForUnknownUser(); // made once per process, not per sign-in
    kdf.calls = 0;
  });

  it('a wrong password against one of our hashes runs scrypt once', async () => {
    const stored = await hashPassword('the right password');
    kdf.calls = 0;
    expect(await verifyPassword('a wrong password', stored)).toBe(false);
    expect(kdf.calls).toBe(1);
  });

  it.each([
    [
      'a bcrypt hash (imported from Supabase)',
      `$2a$10$${'N9qo8uLOickgx2ZMRZoMye'}IjZAgcfl7p92ldGxad68LJZdL17lhWy`,
    ],
    ['an empty string', ''],
    ['scrypt with a mangled cost', 'scrypt$abc$8$1$c2FsdA$aGFzaA'],
    ['scrypt with a short key', 'scrypt$131072$8$1$c2FsdHNhbHRzYWx0$c2hvcnQ'],
  ])('%s is refused, after running scrypt once all the same', async (_, stored) => {
    expect(await verifyPassword('any password', stored)).toBe(false);
    expect(kdf.calls).toBe(1);
  });
});
