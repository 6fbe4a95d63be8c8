import type { ConnectionWriteResult } from '@app/contracts';
import { twilioWhatsappConnections as connections, createDatabase, withServiceRole } from '@app/db';
import { createTwilioAdapter } from '@app/twilio';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../src/server.ts';
import { connectSender, otherToken, seedTwilioAccount } from './connections-world.ts';
import { type SignedInOrganization, signUpOrganization, TEST_PUBLIC_URL, useTestServer } from './helpers.ts';
import { inboundParams, inboundPath, newMessageSid, twilioRequest } from './webhook-helpers.ts';

// Every change made through whatsapp.connections.* is NOTIFYed at commit, so the
// webhook intake of every server process stops trusting its cached copy at once
// (the cache's TTL is 30 s: without the NOTIFY these deliveries would still pass).

describe('connection changes reach every webhook intake at once', () => {
  const server = useTestServer(() => ({}), { simulator: true });
  let secondPool: ReturnType<typeof createDatabase>;
  let second: FastifyInstance;
  let acme: SignedInOrganization;

  beforeAll(async () => {
    acme = await signUpOrganization(server, 'Acme');
    // A second process on the same database, with its own pool and cache.
    secondPool = createDatabase(server.databaseUrl, { max: 4 });
    second = await buildServer({
      db: secondPool.db,
      sql: secondPool.db.$client,
      publicUrl: TEST_PUBLIC_URL,
      sessionSecret: 'test-session-secret-0123456789abcdef',
      logLevel: 'silent',
      vault: server.vault,
      rateLimits: {},
      twilio: createTwilioAdapter({ apiBaseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 }),
      worker: { enabled: false },
    });
    await second.ready();
  });
  afterAll(async () => {
    await second?.close();
    await secondPool?.close();
  });

  const deliver = (app: FastifyInstance, id: string, token: string) =>
    app
      .inject(
        twilioRequest(inboundPath(id), inboundParams(newMessageSid()), token, { publicUrl: TEST_PUBLIC_URL }),
      )
      .then((r) => r.statusCode);

  /**
   * Both servers accept a delivery, so each has the connection cached. (The connect
   * flow's own NOTIFYs may still be arriving and drop a fresh entry: deliver again
   * until it is held.)
   */
  async function cachedEverywhere(id: string, token: string) {
    for (const app of [server.app, second]) {
      await vi.waitFor(
        async () => {
          expect(await deliver(app, id, token)).toBe(200);
          expect(app.webhookConnections.holds(id)).toBe(true);
        },
        { timeout: 2_000, interval: 50 },
      );
    }
  }

  async function soonEverywhere(id: string, token: string, status: number) {
    for (const app of [server.app, second]) {
      await vi.waitFor(async () => expect(await deliver(app, id, token)).toBe(status), {
        timeout: 2_000,
        interval: 20,
      });
    }
  }

  it("setActive(false) pauses sending only: every server still accepts the customer's messages", async () => {
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(acme.owner, account);
    await cachedEverywhere(created.id, account.authToken);
    const res = await acme.owner.mutation('whatsapp.connections.setActive', {
      id: created.id,
      isActive: false,
    });
    expect(res.error).toBeUndefined();
    // Dropped by the NOTIFY, then read again: still found, still accepted.
    for (const app of [server.app, second]) {
      await vi.waitFor(() => expect(app.webhookConnections.holds(created.id)).toBe(false), {
        timeout: 2_000,
        interval: 20,
      });
      expect(await deliver(app, created.id, account.authToken)).toBe(200);
    }
  });

  it('delete: the next delivery is refused with 404', async () => {
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(acme.owner, account);
    await cachedEverywhere(created.id, account.authToken);
    const res = await acme.owner.mutation('whatsapp.connections.delete', { id: created.id });
    expect(res.error).toBeUndefined();
    // Dropped by the NOTIFY alone, with no delivery in between (a delivery would also
    // learn of the deletion from the insert's foreign key, so it cannot prove it).
    for (const app of [server.app, second]) {
      await vi.waitFor(() => expect(app.webhookConnections.holds(created.id)).toBe(false), {
        timeout: 2_000,
        interval: 20,
      });
    }
    await soonEverywhere(created.id, account.authToken, 404);
  });

  it('update with a new Auth Token: the new one passes at once everywhere; the old one, kept for the rotation grace period, is refused with 403 everywhere once the sweep erases it', async () => {
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(acme.owner, account);
    await cachedEverywhere(created.id, account.authToken);
    // The admin pastes the new (secondary) token from the Twilio Console.
    const newToken = otherToken(account.authToken);
    server.simulator.sim.seedAccount({ sid: account.accountSid, authToken: newToken });
    const res = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
      authToken: newToken,
    });
    expect(res.error).toBeUndefined();
    // A cached copy (30 s) holds only the old token: the new one passing proves the NOTIFY.
    await soonEverywhere(created.id, newToken, 200);
    // Until the new token is promoted at Twilio, Twilio signs with the old one (issue 13):
    // accepted for the grace period.
    expect(await deliver(server.app, created.id, account.authToken)).toBe(200);
    expect(await deliver(second, created.id, account.authToken)).toBe(200);

    // The grace is over; the sweep erases the old token and announces it.
    await withServiceRole(server.db, (tx) =>
      tx
        .update(connections)
        .set({ previousTokenExpiresAt: sql`now() - interval '1 second'` })
        .where(eq(connections.id, created.id)),
    );
    expect(await server.app.webhookWorker.erasePreviousAuthTokens()).toContain(created.id);
    await soonEverywhere(created.id, account.authToken, 403);
    expect(await deliver(server.app, created.id, newToken)).toBe(200);
    expect(await deliver(second, created.id, newToken)).toBe(200);
  });
});
