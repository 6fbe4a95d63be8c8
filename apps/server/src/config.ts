import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '@app/config';

export interface RuntimeConfig {
  /** Base URL Twilio reaches us at (PUBLIC_URL, else http://HOST:PORT). */
  publicUrl: URL;
  /** `id:base64key[,id:base64key...]`; the first encrypts, all decrypt. */
  credentialsEncryptionKeys: string;
  sessionSecret: string;
}

/**
 * Reads a development secret from DATA_DIR, creating it on first use. Never used in
 * production: there a missing secret stops the server.
 */
async function developmentSecret(env: Env, file: string, make: () => string, warn: (m: string) => void) {
  const full = path.join(env.DATA_DIR, file);
  if (existsSync(full)) return (await readFile(full, 'utf8')).trim();
  await mkdir(env.DATA_DIR, { recursive: true });
  const value = make();
  await writeFile(full, `${value}\n`, { mode: 0o600 });
  warn(`generated a development secret in ${full}; set it explicitly in production`);
  return value;
}

export async function resolveRuntimeConfig(env: Env, warn: (m: string) => void): Promise<RuntimeConfig> {
  const production = env.NODE_ENV === 'production';
  const missing = [
    !env.CREDENTIALS_ENCRYPTION_KEYS && 'CREDENTIALS_ENCRYPTION_KEYS',
    !env.SESSION_SECRET && 'SESSION_SECRET',
  ].filter(Boolean);
  if (production && missing.length > 0) {
    throw new Error(`Refusing to start in production without ${missing.join(' and ')}.`);
  }
  const credentialsEncryptionKeys =
    env.CREDENTIALS_ENCRYPTION_KEYS ??
    (await developmentSecret(
      env,
      'dev-credentials-encryption-keys',
      () => `dev1:${randomBytes(32).toString('base64')}`,
      warn,
    ));
  const sessionSecret =
    env.SESSION_SECRET ??
    (await developmentSecret(env, 'dev-session-secret', () => randomBytes(32).toString('base64url'), warn));
  const publicUrl = new URL(env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`);
  return { publicUrl, credentialsEncryptionKeys, sessionSecret };
}
