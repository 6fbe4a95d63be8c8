import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childProcessEnv, parseEnv } from '@app/config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRuntimeConfig } from '../src/config.ts';

const serverDir = path.resolve(import.meta.dirname, '..');
const KEYS = `p1:${Buffer.alloc(32, 3).toString('base64')}`;
const SECRET = 'production-session-secret-0123456789abcdef';
let dataDir = '';

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'runtime-config-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const noWarnings = (m: string) => {
  throw new Error(`unexpected warning: ${m}`);
};

describe('resolveRuntimeConfig in production', () => {
  it('refuses to start without CREDENTIALS_ENCRYPTION_KEYS and SESSION_SECRET, naming both', async () => {
    const env = parseEnv({ NODE_ENV: 'production', DATA_DIR: dataDir });
    await expect(resolveRuntimeConfig(env, noWarnings)).rejects.toThrow(
      /CREDENTIALS_ENCRYPTION_KEYS and SESSION_SECRET/,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('names the one secret that is missing', async () => {
    const withoutSecret = parseEnv({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
    });
    await expect(resolveRuntimeConfig(withoutSecret, noWarnings)).rejects.toThrow(
      /without SESSION_SECRET\.$/,
    );
    const withoutKeys = parseEnv({ NODE_ENV: 'production', DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    await expect(resolveRuntimeConfig(withoutKeys, noWarnings)).rejects.toThrow(
      /without CREDENTIALS_ENCRYPTION_KEYS\.$/,
    );
  });

  it('treats an empty variable as missing', async () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
      SESSION_SECRET: '  ',
    });
    await expect(resolveRuntimeConfig(env, noWarnings)).rejects.toThrow(/SESSION_SECRET/);
  });

  it('uses the secrets it is given and writes nothing', async () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
      SESSION_SECRET: SECRET,
    });
    const config = await resolveRuntimeConfig(env, noWarnings);
    expect(config.credentialsEncryptionKeys).toBe(KEYS);
    expect(config.sessionSecret).toBe(SECRET);
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('resolveRuntimeConfig in development', () => {
  it('generates the secrets once into DATA_DIR, readable by the owner only, and reuses them', async () => {
    const env = parseEnv({ NODE_ENV: 'development', DATA_DIR: path.join(dataDir, 'nested') });
    const warnings: string[] = [];
    const first = await resolveRuntimeConfig(env, (m) => warnings.push(m));
    expect(first.credentialsEncryptionKeys).toMatch(/^dev1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(first.credentialsEncryptionKeys.split(':')[1]!, 'base64')).toHaveLength(32);
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).not.toContain(first.sessionSecret);

    const files = await readdir(env.DATA_DIR);
    expect(files.sort()).toEqual(['dev-credentials-encryption-keys', 'dev-session-secret']);
    for (const file of files) {
      const mode = (await stat(path.join(env.DATA_DIR, file))).mode & 0o777;
      expect(mode.toString(8)).toBe('600');
    }

    const again: string[] = [];
    const second = await resolveRuntimeConfig(env, (m) => again.push(m));
    expect(second.credentialsEncryptionKeys).toBe(first.credentialsEncryptionKeys);
    expect(second.sessionSecret).toBe(first.sessionSecret);
    expect(again).toEqual([]);
  });

  it('prefers secrets from the environment over generated ones', async () => {
    const env = parseEnv({ DATA_DIR: dataDir, CREDENTIALS_ENCRYPTION_KEYS: KEYS, SESSION_SECRET: SECRET });
    const config = await resolveRuntimeConfig(env, noWarnings);
    expect(config).toMatchObject({ credentialsEncryptionKeys: KEYS, sessionSecret: SECRET });
  });
});

describe('PUBLIC_URL', () => {
  it('defaults to http://HOST:PORT', async () => {
    const env = parseEnv({
      DATA_DIR: dataDir,
      HOST: '0.0.0.0',
      PORT: '8123',
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
      SESSION_SECRET: SECRET,
    });
    const config = await resolveRuntimeConfig(env, noWarnings);
    expect(config.publicUrl.href).toBe('http://0.0.0.0:8123/');
  });

  it('is PUBLIC_URL when set', async () => {
    const env = parseEnv({
      DATA_DIR: dataDir,
      PORT: '8123',
      PUBLIC_URL: 'https://wa.example.com',
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
      SESSION_SECRET: SECRET,
    });
    const config = await resolveRuntimeConfig(env, noWarnings);
    expect(config.publicUrl.origin).toBe('https://wa.example.com');
  });
});

describe('pnpm start with an invalid environment', () => {
  it('exits 1 with the readable list of bad variables, not a stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverDir,
      env: childProcessEnv({ PORT: 'not-a-port', PUBLIC_URL: 'nope', DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d.toString();
    });
    child.stderr.on('data', (d) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/^Invalid environment:\n/);
    expect(output).toContain('  PORT: ');
    expect(output).toContain('  PUBLIC_URL: PUBLIC_URL must be an absolute http(s) URL');
    expect(output).not.toMatch(/\n\s+at /);
    // It stopped before touching anything.
    expect(await readdir(dataDir)).toEqual([]);
  }, 30_000);
});
