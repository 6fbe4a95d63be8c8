import { Writable } from 'node:stream';
import { twilioWhatsappConnections as connections, withServiceRole } from '@app/db';
import { createTwilioAdapter } from '@app/twilio';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedTwilioAccount } from './connections-world.ts';
import { type SignedInOrganization, signUpOrganization, useTestServer } from './helpers.ts';

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

describe('a Twilio that hangs during connect', () => {
  const logs = new LogLines();
  // The adapter's deadline, shortened from its 10 s default so the test stays fast.
  const deadlineMs = 1_000;
  const server = useTestServer(
    () => ({
      logLevel: 'warn',
      logStream: logs,
      twilio: createTwilioAdapter({ apiBaseUrl: server.simulator.url, timeoutMs: deadlineMs }),
    }),
    { simulator: true },
  );
  let org: SignedInOrganization;
  beforeAll(async () => {
    org = await signUpOrganization(server, 'Hanging Co');
  });

  const stored = () =>
    withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.organizationId, org.organizationId)),
    );

  for (const operationId of ['FetchAccount', 'ListChannelsSender']) {
    it(`${operationId} never answers: a clear error at the deadline, a warning, and nothing stored`, async () => {
      const account = seedTwilioAccount(server.simulator);
      server.simulator.sim.injectFault({ operationId, delayMs: 5_000 });
      const started = Date.now();
      const res = await org.owner.mutation('whatsapp.connections.create', {
        accountSid: account.accountSid,
        authToken: account.authToken,
        whatsappNumber: account.senderNumber,
      });
      const took = Date.now() - started;
      server.simulator.sim.clearFaults();

      expect(res.error?.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.error?.message).toBe(
        'Twilio did not answer within 1 s; nothing was saved. Try again in a minute.',
      );
      expect(took).toBeGreaterThanOrEqual(deadlineMs - 50);
      expect(took).toBeLessThan(4_000);
      expect(await stored()).toEqual([]);
      const warnings = logs.lines
        .map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string; path?: string })
        .filter((l) => l.level === 40 && l.path === 'whatsapp.connections.create');
      expect(warnings.at(-1)?.reason).toBe(res.error?.message);
      // The warning names no credential.
      for (const line of logs.lines) expect(line.includes(account.authToken)).toBe(false);
    });
  }

  it("the server's socket idle timeout is above any Twilio deadline a handler waits for", () => {
    // At 10 s the socket closed while the handler still waited for Twilio (10 s), and
    // Chromium re-sent the POST. Default adapter deadline: 10 s.
    expect(server.app.initialConfig.connectionTimeout).toBeGreaterThan(10_000);
    expect(server.app.server.timeout).toBeGreaterThan(10_000);
  });
});
