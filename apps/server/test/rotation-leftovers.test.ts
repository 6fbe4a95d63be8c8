import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { twilioWhatsappConnections as connections, withServiceRole } from '@app/db';
import { useTestDatabase } from '@app/db/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import { rotateCredentials } from '../src/vault/rotate.ts';
import { TEST_KEY_1, TEST_KEY_2 } from './helpers.ts';
import { seedSealedConnections } from './rotation-world.ts';

const tokenOf = (i: number) => `${i.toString(16).padStart(2, '0')}${'7'.repeat(30)}`;
const serverDir = path.resolve(import.meta.dirname, '..');

/** `pnpm credentials:rotate` against the test database; resolves with its exit code and output. */
async function runRotationCli(databaseUrl: string, keys: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/rotate-credentials.ts'],
      {
        cwd: serverDir,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          CREDENTIALS_ENCRYPTION_KEYS: keys,
          SESSION_SECRET: 'test-session-secret-0123456789abcdef',
        },
      },
    );
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

describe('rotation: rows it could not reach, and rows it could not write', () => {
  const database = useTestDatabase();
  const k1 = new CredentialVault(TEST_KEY_1);
  const k2ThenK1 = new CredentialVault(`${TEST_KEY_2},${TEST_KEY_1}`);
  let ids: string[];
  const ROWS = 5;

  beforeAll(async () => {
    ids = await seedSealedConnections(database.db, k1, {
      organizationName: 'Leftovers',
      count: ROWS,
      tokenOf,
    });
  });

  const envelopes = async () =>
    (await withServiceRole(database.db, (tx) => tx.select().from(connections))).map(
      (r) => r.twilioAuthTokenHash,
    );

  it('a failed UPDATE is reported without the ciphertext or the token, by the function and by the CLI', async () => {
    const sql = database.db.$client;
    // The constraint refuses the new key's envelopes: PostgreSQL's own error then quotes the
    // failing row (detail) and Drizzle's the statement's parameters, the new ciphertext among them.
    await sql`alter table public.twilio_whatsapp_connections
      add constraint test_refuses_k2 check (twilio_auth_token_hash not like 'v1.k2.%') not valid`;
    try {
      const before = await envelopes();
      const error = await rotateCredentials(database.db, k2ThenK1).then(
        () => expect.fail('rotation should have failed'),
        (e: unknown) => e as Error,
      );
      const reported = `${error.message} ${String(error.stack)} ${JSON.stringify(error)} ${String(error.cause)}`;
      expect(error.message).toMatch(/Re-encrypting connection .* failed: 23514 .*test_refuses_k2/);
      expect(reported).not.toMatch(/v1\.k[12]\./);
      expect(reported).not.toMatch(/params/);
      for (const envelope of before) expect(reported).not.toContain(envelope);
      for (let i = 0; i < ROWS; i++) expect(reported).not.toContain(tokenOf(i));

      const cli = await runRotationCli(database.url, `${TEST_KEY_2},${TEST_KEY_1}`);
      expect(cli.code).toBe(1);
      expect(cli.output).toMatch(/rotation stopped: .*23514/);
      expect(cli.output).not.toMatch(/v1\.k[12]\.|params/);
      for (let i = 0; i < ROWS; i++) expect(cli.output).not.toContain(tokenOf(i));
      // Nothing was half-written.
      expect(await envelopes()).toEqual(before);
    } finally {
      await sql`alter table public.twilio_whatsapp_connections drop constraint test_refuses_k2`;
    }
  });

  it('a row locked by a concurrent update is counted as remaining; the CLI says so and exits 1; a re-run finishes it', async () => {
    const sql = database.db.$client;
    const locked = ids[2]!;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const lockHolder = sql.begin(async (tx) => {
      await tx`select id from public.twilio_whatsapp_connections where id = ${locked} for update`;
      holding();
      await released;
    });
    await held;
    try {
      const result = await rotateCredentials(database.db, k2ThenK1, { batchSize: 2 });
      expect(result).toEqual({ rotated: ROWS - 1, alreadyCurrent: 0, remaining: 1 });

      const cli = await runRotationCli(database.url, `${TEST_KEY_2},${TEST_KEY_1}`);
      expect(cli.code).toBe(1);
      expect(cli.output).toContain(
        '1 rows are still under old keys (locked by concurrent updates); run again before dropping old keys',
      );
    } finally {
      release();
      await lockHolder;
    }
    expect(await rotateCredentials(database.db, k2ThenK1)).toEqual({
      rotated: 1,
      alreadyCurrent: ROWS - 1,
      remaining: 0,
    });
    const cli = await runRotationCli(database.url, `${TEST_KEY_2},${TEST_KEY_1}`);
    expect(cli.code).toBe(0);
    expect(cli.output).toContain('0 remaining');
  });
});
