import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for Twilio Auth Tokens at rest.
 *
 * Envelope: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`. The associated
 * data binds a ciphertext to its row (connection id + Account SID): copied into
 * another row, or with its SID edited, it no longer decrypts.
 */

export interface CredentialBinding {
  /** twilio_whatsapp_connections.id */
  rowId: string;
  accountSid: string;
  /**
   * Which of the row's tokens: the current one (twilio_auth_token_hash, the default) or
   * the one the last update replaced (twilio_previous_auth_token). Part of the
   * associated data, so neither ciphertext decrypts in the other's column: a copy of
   * the previous token into the current column cannot bring an old token back.
   */
  slot?: 'current' | 'previous';
}

export class CredentialDecryptionError extends Error {
  constructor(reason: string) {
    super(`Stored Twilio credentials could not be decrypted: ${reason}`);
    this.name = 'CredentialDecryptionError';
  }
}

interface Key {
  id: string;
  key: Buffer;
}

const VERSION = 'v1';

/** Parses `id:base64key[,id:base64key...]`; every key must be 32 bytes, ids unique. */
export function parseKeyRing(spec: string): Key[] {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = entry.slice(0, at);
      if (at <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
        throw new Error(
          'CREDENTIALS_ENCRYPTION_KEYS: each entry is id:base64key, id of letters, digits, _ or -',
        );
      }
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (key.length !== 32) {
        throw new Error(
          `CREDENTIALS_ENCRYPTION_KEYS: key "${id}" must be 32 bytes (base64 of 32 random bytes)`,
        );
      }
      return { id, key };
    });
  if (keys.length === 0) throw new Error('CREDENTIALS_ENCRYPTION_KEYS: no key given');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) {
    throw new Error('CREDENTIALS_ENCRYPTION_KEYS: key ids must be unique');
  }
  return keys;
}

function associatedData(binding: CredentialBinding) {
  // The current token's associated data is the one it always had (stored ciphertexts keep decrypting).
  const slot = binding.slot === 'previous' ? ':previous' : '';
  return Buffer.from(`twilio_whatsapp_connections:${binding.rowId}:${binding.accountSid}${slot}`, 'utf8');
}

export class CredentialVault {
  private readonly keys: Key[];
  private readonly byId: Map<string, Buffer>;

  constructor(keyRingSpec: string) {
    this.keys = parseKeyRing(keyRingSpec);
    this.byId = new Map(this.keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key new ciphertexts are made with (the first in the ring). */
  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  encrypt(plaintext: string, binding: CredentialBinding): string {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  decrypt(envelope: string, binding: CredentialBinding): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new CredentialDecryptionError('unknown format');
    const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
    const key = this.byId.get(keyId);
    if (!key) throw new CredentialDecryptionError(`key "${keyId}" is not in CREDENTIALS_ENCRYPTION_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(associatedData(binding));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new CredentialDecryptionError('the ciphertext was altered or belongs to another row');
    }
  }

  /** Key id an envelope was made with, without decrypting it. */
  static keyIdOf(envelope: string): string | undefined {
    return envelope.split('.')[1];
  }

  /** How every envelope made now begins: one under any other key needs rotation. */
  get currentEnvelopePrefix(): string {
    return `${VERSION}.${this.currentKeyId}.`;
  }
}
