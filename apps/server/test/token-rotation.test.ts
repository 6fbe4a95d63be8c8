import type { ConnectionWriteResult, WhatsappConnection } from '@app/contracts';
import {
  CONNECTION_CHANGED_CHANNEL,
  twilioWhatsappConnections as connections,
  withServiceRole,
} from '@app/db';
import { eq, type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialDecryptionError } from '../src/vault/credential-vault.ts';
import { connectSender, otherToken, seedTwilioAccount } from './connections-world.ts';
import {
  type SignedInOrganization,
  signUpOrganization,
  TEST_PUBLIC_URL,
  type TestClient,
  useTestServer,
} from './helpers.ts';
import { inboundParams, inboundPath, newMessageSid, twilioRequest } from './webhook-helpers.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('Auth Token rotation without lockout', () => {
  const server = useTestServer(() => ({}), { simulator: true });
  let acme: SignedInOrganization;
  let member: TestClient;

  beforeAll(async () => {
    acme = await signUpOrganization(server, 'Rotating Co');
    member = await acme.addPerson('member');
  });

  /** A connected sender whose token the admin then replaces here, before promoting it at Twilio. */
  async function rotatedConnection() {
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(acme.owner, account);
    const oldToken = account.authToken;
    const newToken = otherToken(oldToken);
    // Twilio accepts the secondary token for API calls before it is promoted.
    server.simulator.sim.accounts.get(account.accountSid)!.authToken = newToken;
    const updated = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
      authToken: newToken,
    });
    expect(updated.error).toBeUndefined();
    return { account, id: created.id, oldToken, newToken, updated: updated.data };
  }

  async function deliver(id: string, token: string) {
    const res = await server.app.inject(
      twilioRequest(inboundPath(id), inboundParams(newMessageSid(), { Body: 'hello' }), token, {
        publicUrl: TEST_PUBLIC_URL,
      }),
    );
    await server.app.webhookSignedDeliveries.drain();
    return res.statusCode;
  }

  const get = async (id: string) =>
    (await member.query<WhatsappConnection>('whatsapp.connections.get', { id })).data;

  const stored = async (id: string) => {
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, id)),
    );
    return row!;
  };

  /** Moves the row's clock (as the sweep and the intake read it) and drops every cached copy. */
  async function setColumns(
    id: string,
    set: Partial<Record<'previousTokenExpiresAt' | 'lastSignedWithPreviousAt', SQL>>,
  ) {
    await withServiceRole(server.db, async (tx) => {
      await tx.update(connections).set(set).where(eq(connections.id, id));
      await tx.execute(sql`select pg_notify(${CONNECTION_CHANGED_CHANNEL}, ${id})`);
    });
    await expect.poll(() => server.app.webhookConnections.holds(id)).toBe(false);
    server.app.webhookSignedDeliveries.reset();
  }

  it('after an update the replaced token is kept, encrypted and bound as "previous", for 7 days', async () => {
    const { account, id, oldToken, newToken, updated } = await rotatedConnection();
    expect(updated.signingToken).toBe('unknown');
    const expires = Date.parse(updated.previousTokenExpiresAt!);
    expect(Math.abs(expires - (Date.now() + 7 * DAY))).toBeLessThan(60_000);

    const row = await stored(id);
    const binding = { rowId: id, accountSid: account.accountSid };
    expect(server.vault.decrypt(row.twilioAuthTokenHash!, binding)).toBe(newToken);
    expect(server.vault.decrypt(row.twilioPreviousAuthToken!, { ...binding, slot: 'previous' })).toBe(
      oldToken,
    );
    // Neither ciphertext decrypts in the other's place.
    expect(() => server.vault.decrypt(row.twilioPreviousAuthToken!, binding)).toThrow(
      CredentialDecryptionError,
    );
    expect(() => server.vault.decrypt(row.twilioAuthTokenHash!, { ...binding, slot: 'previous' })).toThrow(
      CredentialDecryptionError,
    );
  });

  it('deliveries signed with the previous token are accepted during the grace period, and the card says Twilio still signs with it', async () => {
    const { id, oldToken } = await rotatedConnection();
    const before = await stored(id);
    expect(await deliver(id, oldToken)).toBe(200);
    expect(await deliver(id, '0123456789abcdef'.repeat(2))).toBe(403);

    const seen = await get(id);
    expect(seen.signingToken).toBe('previous');
    expect(seen.previousTokenExpiresAt).not.toBeNull();
    const after = await stored(id);
    expect(after.lastSignedWithPreviousAt).not.toBeNull();
    expect(after.lastSignedWithCurrentAt).toBeNull();
    // Noting which token signed is not a change to the connection.
    expect(after.updatedAt).toEqual(before.updatedAt);

    // A stream of deliveries writes the time about once a minute, not per delivery.
    const firstSeen = after.lastSignedWithPreviousAt;
    expect(await deliver(id, oldToken)).toBe(200);
    expect((await stored(id)).lastSignedWithPreviousAt).toEqual(firstSeen);
  });

  it('after the grace period a delivery signed with the previous token is refused (403) and the sweep erases it', async () => {
    const { id, oldToken, newToken } = await rotatedConnection();
    expect(await deliver(id, oldToken)).toBe(200);
    await setColumns(id, { previousTokenExpiresAt: sql`now() - interval '1 second'` });

    expect(await deliver(id, oldToken)).toBe(403);
    expect(await deliver(id, newToken)).toBe(200);
    expect((await get(id)).previousTokenExpiresAt).toBeNull();

    expect(await server.app.webhookWorker.erasePreviousAuthTokens()).toContain(id);
    expect(await stored(id)).toMatchObject({
      twilioPreviousAuthToken: null,
      previousTokenExpiresAt: null,
      lastSignedWithPreviousAt: null,
    });
  });

  it('a delivery signed with the new token is recorded; the previous token is erased once new-token deliveries have come for a day with no old-token one', async () => {
    const { id, oldToken, newToken } = await rotatedConnection();
    expect(await deliver(id, oldToken)).toBe(200);
    expect(await deliver(id, newToken)).toBe(200);
    expect((await stored(id)).lastSignedWithCurrentAt).not.toBeNull();
    expect((await get(id)).signingToken).toBe('current');

    // Twilio moved to the new token moments ago: the old one stays for late deliveries.
    expect(await server.app.webhookWorker.erasePreviousAuthTokens()).not.toContain(id);
    expect((await stored(id)).twilioPreviousAuthToken).not.toBeNull();

    // A day later (rotation and last old-token delivery 25 hours ago), still new-token deliveries.
    await setColumns(id, {
      previousTokenExpiresAt: sql`now() + interval '6 days' - interval '1 hour'`,
      lastSignedWithPreviousAt: sql`now() - interval '25 hours'`,
    });
    expect(await deliver(id, newToken)).toBe(200);
    expect(await server.app.webhookWorker.erasePreviousAuthTokens()).toContain(id);
    expect(await stored(id)).toMatchObject({ twilioPreviousAuthToken: null, previousTokenExpiresAt: null });
    await expect.poll(() => server.app.webhookConnections.holds(id)).toBe(false);
    expect(await deliver(id, oldToken)).toBe(403);
    expect(await get(id)).toMatchObject({ signingToken: 'current', previousTokenExpiresAt: null });
  });

  it('a token entered again changes nothing; a third token while Twilio still signs with the first keeps the first', async () => {
    const { account, id, oldToken, newToken } = await rotatedConnection();
    const again = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id,
      authToken: newToken,
    });
    expect(again.error).toBeUndefined();
    const binding = { rowId: id, accountSid: account.accountSid, slot: 'previous' as const };
    expect(server.vault.decrypt((await stored(id)).twilioPreviousAuthToken!, binding)).toBe(oldToken);

    // Twilio still signs with the first token (its primary); the admin made another secondary.
    expect(await deliver(id, oldToken)).toBe(200);
    const third = otherToken(newToken).replace(/^../, 'dd');
    server.simulator.sim.accounts.get(account.accountSid)!.authToken = third;
    const res = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id,
      authToken: third,
    });
    expect(res.error).toBeUndefined();
    expect(server.vault.decrypt((await stored(id)).twilioPreviousAuthToken!, binding)).toBe(oldToken);
    await expect.poll(() => server.app.webhookConnections.holds(id)).toBe(false);
    expect(await deliver(id, oldToken)).toBe(200);
    expect(await deliver(id, newToken)).toBe(403);
    expect(await deliver(id, third)).toBe(200);
  });

  it('no answer carries a token or its ciphertext', async () => {
    const { id, oldToken, newToken } = await rotatedConnection();
    const row = await stored(id);
    for (const res of [
      await member.query('whatsapp.connections.get', { id }),
      await acme.owner.query('whatsapp.connections.list'),
    ]) {
      for (const secret of [oldToken, newToken, row.twilioPreviousAuthToken!, row.twilioAuthTokenHash]) {
        expect(res.raw.body).not.toContain(secret);
      }
    }
  });

  it('moving to another account keeps no previous token (it never signs that account’s webhooks)', async () => {
    const { id } = await rotatedConnection();
    const second = seedTwilioAccount(server.simulator);
    server.simulator.sim.addWhatsappSender(second.accountSid, (await get(id)).whatsappNumber);
    const res = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id,
      accountSid: second.accountSid,
      authToken: second.authToken,
    });
    expect(res.error).toBeUndefined();
    expect(res.data).toMatchObject({ previousTokenExpiresAt: null, signingToken: 'unknown' });
    expect((await stored(id)).twilioPreviousAuthToken).toBeNull();
  });
});
