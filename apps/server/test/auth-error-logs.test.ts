import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestClient, uniqueEmail, useTestServer } from './helpers.ts';

class LogLines extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe('a procedure failing on a query logs the error without its parameters', () => {
  const logs = new LogLines();
  const server = useTestServer(() => ({ logLevel: 'error', logStream: logs }));

  it('sign-up refused by the database: 500 for the client, a log line with the SQLSTATE and no values', async () => {
    // Make the organization INSERT fail inside sign-up; its parameters (the name) are what
    // Drizzle's error would quote, as it would a token's ciphertext in an UPDATE.
    const sql = server.db.$client;
    await sql`alter table public.organizations add constraint test_no_secret_names check (name not like 'Secret-%')`;
    try {
      const name = `Secret-${'9'.repeat(24)}`;
      const res = await new TestClient(() => server.app).mutation('auth.signUp', {
        organizationName: name,
        email: uniqueEmail(),
        password: TEST_PASSWORD,
      });
      expect(res.error?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(res.raw.json())).not.toContain(name);
      await expect.poll(() => logs.text).toMatch(/procedure failed/);
      expect(logs.text).toMatch(/23514/);
      expect(logs.text).not.toContain(name);
      expect(logs.text).not.toMatch(/params:|Failing row/);
    } finally {
      await sql`alter table public.organizations drop constraint test_no_secret_names`;
    }
  });
});
