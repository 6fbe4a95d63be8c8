import { randomUUID } from 'node:crypto';
import type { ConnectionWriteResult, WebhookEvent, WhatsappConnection } from '@app/contracts';
import {
  CONNECTION_CHANGED_CHANNEL,
  twilioWhatsappConnections as connections,
  twilioWhatsappWebhookEvents,
  withServiceRole,
} from '@app/db';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectSender, otherToken, seedTwilioAccount, uniqueNumber } from './connections-world.ts';
import { type SignedInOrganization, signUpOrganization, TEST_PUBLIC_URL, useTestServer } from './helpers.ts';

describe('whatsapp.connections: the connect flow against the Twilio simulator', () => {
  const server = useTestServer(() => ({}), { simulator: true });
  let acme: SignedInOrganization;

  beforeAll(async () => {
    acme = await signUpOrganization(server, 'Acme');
  });

  const storedRows = (organizationId: string) =>
    withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.organizationId, organizationId)),
    );

  /** The shared sandbox number, connected with `account`'s credentials. */
  const sandboxOf = (account: { accountSid: string; authToken: string }) => ({
    accountSid: account.accountSid,
    authToken: account.authToken,
    whatsappNumber: TWILIO_SANDBOX_NUMBER,
  });

  /** Two organizations, each with the sandbox number connected from its own Twilio account. */
  async function sandboxInTwoOrganizations(labels: [string, string]) {
    const first = await signUpOrganization(server, labels[0]);
    const second = await signUpOrganization(server, labels[1]);
    const accountOne = seedTwilioAccount(server.simulator);
    const accountTwo = seedTwilioAccount(server.simulator);
    const one = await first.owner.mutation<ConnectionWriteResult>(
      'whatsapp.connections.create',
      sandboxOf(accountOne),
    );
    expect(one.error).toBeUndefined();
    const two = await second.owner.mutation<ConnectionWriteResult>(
      'whatsapp.connections.create',
      sandboxOf(accountTwo),
    );
    expect(two.error).toBeUndefined();
    return { first, second, accountOne, accountTwo, one, two };
  }

  it('good credentials: the connection is stored encrypted and Twilio calls our webhook URLs', async () => {
    const account = seedTwilioAccount(server.simulator);
    const res = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: `whatsapp:${account.senderNumber}`,
      friendlyName: 'Support line',
    });
    expect(res.error).toBeUndefined();
    const created = res.data;
    expect(created).toMatchObject({
      organizationId: acme.organizationId,
      accountSid: account.accountSid,
      whatsappNumber: account.senderNumber,
      whatsappNumberSid: account.senderSid,
      senderKind: 'sender',
      friendlyName: 'Support line',
      isActive: true,
      webhookConfigured: true,
      webhookError: null,
      webhookUrls: {
        inbound: `${TEST_PUBLIC_URL.origin}/webhooks/twilio/whatsapp/${created.id}`,
        status: `${TEST_PUBLIC_URL.origin}/webhooks/twilio/whatsapp/${created.id}/status`,
      },
    });
    expect(created.lastVerifiedAt).not.toBeNull();
    expect(res.raw.body).not.toContain(account.authToken);

    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, created.id)),
    );
    expect(row?.twilioAuthTokenHash).toMatch(/^v1\.k1\./);
    expect(row?.twilioAuthTokenHash).not.toContain(account.authToken);
    expect(
      server.vault.decrypt(row!.twilioAuthTokenHash!, { rowId: created.id, accountSid: account.accountSid }),
    ).toBe(account.authToken);

    const sender = server.simulator.sim.senders.get(account.senderSid);
    expect(sender?.webhook).toMatchObject({
      callback_url: created.webhookUrls.inbound,
      callback_method: 'POST',
      status_callback_url: created.webhookUrls.status,
      status_callback_method: 'POST',
    });
  });

  it('a phone number of the account that is not a WhatsApp sender is refused with how to register it, and nothing is stored or configured', async () => {
    const org = await signUpOrganization(server, 'Plain Number Co');
    const account = seedTwilioAccount(server.simulator);
    const res = await org.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.phoneNumber,
    });
    expect(res.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: `${account.phoneNumber} is a phone number in account ${account.accountSid} but not a WhatsApp sender. Register it in the Twilio Console under Messaging → Senders → WhatsApp senders, then connect it here.`,
    });
    expect(res.error?.fieldErrors?.whatsappNumber?.[0]).toContain('Messaging → Senders → WhatsApp senders');
    expect(await storedRows(org.organizationId)).toEqual([]);
    expect(server.simulator.sim.incomingNumbers.get(account.phoneNumberSid)?.smsUrl ?? null).toBeNull();
  });

  it('a connection made from a phone number before the sender check is left as it is; verify reports the problem with the same sentence', async () => {
    const org = await signUpOrganization(server, 'Legacy Number Co');
    const account = seedTwilioAccount(server.simulator);
    const id = randomUUID();
    await withServiceRole(server.db, (tx) =>
      tx.insert(connections).values({
        id,
        organizationId: org.organizationId,
        twilioAccountSid: account.accountSid,
        twilioAuthTokenHash: server.vault.encrypt(account.authToken, {
          rowId: id,
          accountSid: account.accountSid,
        }),
        whatsappNumber: account.phoneNumber,
        whatsappNumberSid: account.phoneNumberSid,
        webhookConfigured: true,
      }),
    );
    const listed = await org.owner.query<WhatsappConnection>('whatsapp.connections.get', { id });
    expect(listed.data).toMatchObject({ senderKind: 'incoming_number', isActive: true });

    const verified = await org.owner.mutation('whatsapp.connections.verify', { id });
    expect(verified.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: `${account.phoneNumber} is a phone number in account ${account.accountSid} but not a WhatsApp sender. Register it in the Twilio Console under Messaging → Senders → WhatsApp senders, then connect it here.`,
    });
    const [row] = await storedRows(org.organizationId);
    expect(row).toMatchObject({ whatsappNumberSid: account.phoneNumberSid, webhookConfigured: true });

    // Registered as a WhatsApp sender since: verify moves the connection to the sender.
    const sender = server.simulator.sim.addWhatsappSender(account.accountSid, account.phoneNumber);
    const again = await org.owner.mutation<WhatsappConnection>('whatsapp.connections.verify', { id });
    expect(again.data).toMatchObject({ senderKind: 'sender', whatsappNumberSid: sender.sid });
  });

  it('the sandbox number is stored with webhooks to paste by hand', async () => {
    const org = await signUpOrganization(server, 'Sandbox Co');
    const account = seedTwilioAccount(server.simulator);
    const res = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: TWILIO_SANDBOX_NUMBER,
    });
    expect(res.data).toMatchObject({
      senderKind: 'sandbox',
      whatsappNumberSid: null,
      webhookConfigured: false,
      webhookError: null,
    });
  });

  it('a wrong Auth Token is refused at the authToken field and nothing is stored', async () => {
    const org = await signUpOrganization(server, 'Wrong Token Co');
    const account = seedTwilioAccount(server.simulator);
    const res = await org.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: otherToken(account.authToken),
      whatsappNumber: account.senderNumber,
    });
    expect(res.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Twilio rejected these credentials (20003). Check the Account SID and Auth Token.',
      fieldErrors: { authToken: [expect.stringContaining('20003')] },
    });
    expect(await storedRows(org.organizationId)).toEqual([]);
  });

  it('a number that is not in the account is refused at the whatsappNumber field and nothing is stored', async () => {
    const org = await signUpOrganization(server, 'Wrong Number Co');
    const account = seedTwilioAccount(server.simulator);
    const missing = uniqueNumber();
    const res = await org.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: missing,
    });
    expect(res.error?.code).toBe('BAD_REQUEST');
    expect(res.error?.fieldErrors?.whatsappNumber?.[0]).toContain(`${missing} is not a WhatsApp sender`);
    expect(await storedRows(org.organizationId)).toEqual([]);
  });

  it('a suspended account is refused at the accountSid field', async () => {
    const org = await signUpOrganization(server, 'Suspended Co');
    const account = seedTwilioAccount(server.simulator);
    server.simulator.sim.setAccountStatus(account.accountSid, 'suspended');
    const res = await org.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    });
    expect(res.error?.code).toBe('BAD_REQUEST');
    expect(res.error?.fieldErrors?.accountSid).toBeDefined();
    expect(await storedRows(org.organizationId)).toEqual([]);
  });

  it('Twilio unreachable: a retryable error that says nothing was saved', async () => {
    const org = await signUpOrganization(server, 'Outage Co');
    const account = seedTwilioAccount(server.simulator);
    server.simulator.sim.injectFault({ operationId: 'FetchAccount', status: 503, code: 20500 });
    const res = await org.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    });
    server.simulator.sim.clearFaults();
    expect(['BAD_GATEWAY', 'SERVICE_UNAVAILABLE']).toContain(res.error?.code);
    expect(res.error?.message).not.toBe('Something went wrong on our side. Try again in a minute.');
    expect(await storedRows(org.organizationId)).toEqual([]);
  });

  it('when setting the webhooks fails, the connection is kept and the failure reported', async () => {
    const org = await signUpOrganization(server, 'Half Co');
    const account = seedTwilioAccount(server.simulator);
    server.simulator.sim.injectFault({ operationId: 'UpdateChannelsSender', status: 500, code: 20500 });
    const res = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    });
    server.simulator.sim.clearFaults();
    expect(res.error).toBeUndefined();
    expect(res.data.webhookConfigured).toBe(false);
    expect(res.data.webhookError).toBe(
      'Twilio had a problem answering (HTTP 500, error 20500). Try again in a few minutes.',
    );
    expect(await storedRows(org.organizationId)).toHaveLength(1);

    const retry = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.configureWebhooks', {
      id: res.data.id,
    });
    expect(retry.data).toMatchObject({ webhookConfigured: true, webhookError: null });
    expect(server.simulator.sim.senders.get(account.senderSid)?.webhook.callback_url).toBe(
      res.data.webhookUrls.inbound,
    );
  });

  it('a number connected already is a conflict, without saying which other organization has it', async () => {
    const account = seedTwilioAccount(server.simulator);
    await connectSender(acme.owner, account);
    const input = {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    };

    const again = await acme.owner.mutation('whatsapp.connections.create', input);
    expect(again.error).toMatchObject({
      code: 'CONFLICT',
      message: `${account.senderNumber} is already connected to your organization.`,
    });

    const rival = await signUpOrganization(server, 'Rival');
    const elsewhere = await rival.owner.mutation('whatsapp.connections.create', input);
    expect(elsewhere.error).toMatchObject({
      code: 'CONFLICT',
      message: `${account.senderNumber} is already connected to another organization.`,
    });
    expect(elsewhere.raw.body).not.toContain('Acme');
    expect(elsewhere.raw.body).not.toContain(acme.organizationId);
  });

  it('the sandbox number is shared by every Twilio account: each account connects it once', async () => {
    const { first, second, accountOne, two } = await sandboxInTwoOrganizations([
      'Sandbox One',
      'Sandbox Two',
    ]);
    expect(two.data.whatsappNumber).toBe(TWILIO_SANDBOX_NUMBER);

    // The same account's sandbox again: in the same organization or another.
    const again = await first.owner.mutation('whatsapp.connections.create', sandboxOf(accountOne));
    expect(again.error).toMatchObject({
      code: 'CONFLICT',
      message: `${TWILIO_SANDBOX_NUMBER} is already connected to your organization.`,
    });
    const elsewhere = await second.owner.mutation('whatsapp.connections.create', sandboxOf(accountOne));
    expect(elsewhere.error).toMatchObject({
      code: 'CONFLICT',
      message: `${TWILIO_SANDBOX_NUMBER} is already connected to another organization.`,
    });
  });

  it('create with a wrong token for an account whose sandbox is connected elsewhere: the credentials are refused, nothing about the other connection is told', async () => {
    const holder = await signUpOrganization(server, 'Sandbox Holder');
    const prober = await signUpOrganization(server, 'Sandbox Prober');
    const account = seedTwilioAccount(server.simulator);
    const held = await holder.owner.mutation('whatsapp.connections.create', sandboxOf(account));
    expect(held.error).toBeUndefined();

    const probe = await prober.owner.mutation('whatsapp.connections.create', {
      ...sandboxOf(account),
      authToken: otherToken(account.authToken),
    });
    expect(probe.error).toMatchObject({
      code: 'BAD_REQUEST',
      fieldErrors: { authToken: [expect.stringContaining('20003')] },
    });
    expect(probe.raw.body).not.toContain('already connected');
  });

  it('list and get show the organization its connections, without any token', async () => {
    const org = await signUpOrganization(server, 'Lister');
    const a = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, a, 'Sales');
    const list = await org.owner.query<WhatsappConnection[]>('whatsapp.connections.list');
    expect(list.data.map((c) => c.id)).toEqual([created.id]);
    const got = await org.owner.query<WhatsappConnection>('whatsapp.connections.get', { id: created.id });
    expect(got.data).toMatchObject({ id: created.id, friendlyName: 'Sales' });
    for (const body of [list.raw.body, got.raw.body]) {
      expect(body).not.toContain(a.authToken);
      expect(body).not.toMatch(/v1\.k1\./);
      expect(body).not.toMatch(/authToken|twilioAuthTokenHash/);
    }
  });

  it('update: the friendly name alone changes without calling Twilio', async () => {
    const org = await signUpOrganization(server, 'Renamer');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, account);
    const before = server.simulator.sim.apiRequests().length;
    const res = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
      friendlyName: 'Renamed',
    });
    expect(res.data.friendlyName).toBe('Renamed');
    expect(server.simulator.sim.apiRequests().length).toBe(before);
  });

  it('update with nothing to change answers the connection as it is; another organization gets NOT_FOUND', async () => {
    const org = await signUpOrganization(server, 'Idle Updater');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, account);
    const same = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
    });
    expect(same.error).toBeUndefined();
    expect(same.data).toMatchObject({ id: created.id, whatsappNumber: created.whatsappNumber });
    const other = await signUpOrganization(server, 'Idle Stranger');
    const refused = await other.owner.mutation('whatsapp.connections.update', { id: created.id });
    expect(refused.error?.code).toBe('NOT_FOUND');
  });

  it('update: new credentials are verified first; a wrong token is refused and the old one stays', async () => {
    const org = await signUpOrganization(server, 'Rotator');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, account);
    const [before] = await storedRows(org.organizationId);

    const wrong = await org.owner.mutation('whatsapp.connections.update', {
      id: created.id,
      authToken: otherToken(account.authToken),
    });
    expect(wrong.error?.code).toBe('BAD_REQUEST');
    expect(wrong.error?.fieldErrors?.authToken).toBeDefined();
    const [unchanged] = await storedRows(org.organizationId);
    expect(unchanged?.twilioAuthTokenHash).toBe(before?.twilioAuthTokenHash);

    // Twilio issues a new token (the secondary one promoted); the connection takes it.
    const newToken = otherToken(account.authToken);
    server.simulator.sim.accounts.get(account.accountSid)!.authToken = newToken;
    const ok = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
      authToken: newToken.toUpperCase(),
    });
    expect(ok.error).toBeUndefined();
    const [after] = await storedRows(org.organizationId);
    expect(
      server.vault.decrypt(after!.twilioAuthTokenHash!, {
        rowId: created.id,
        accountSid: account.accountSid,
      }),
    ).toBe(newToken);
  });

  it('update: moving to another account needs its token, finds the number there and re-binds the ciphertext', async () => {
    const org = await signUpOrganization(server, 'Mover');
    const first = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, first);
    const second = server.simulator.sim.seedAccount();
    const moved = server.simulator.sim.addWhatsappSender(second.sid, first.senderNumber);

    const sidAlone = await org.owner.mutation('whatsapp.connections.update', {
      id: created.id,
      accountSid: second.sid,
    });
    expect(sidAlone.error?.code).toBe('BAD_REQUEST');
    expect(sidAlone.error?.fieldErrors?.authToken).toBeDefined();

    const res = await org.owner.mutation<ConnectionWriteResult>('whatsapp.connections.update', {
      id: created.id,
      accountSid: second.sid,
      authToken: second.authToken,
    });
    expect(res.data).toMatchObject({
      accountSid: second.sid,
      whatsappNumberSid: moved.sid,
      webhookConfigured: true,
    });
    expect(server.simulator.sim.senders.get(moved.sid)?.webhook.callback_url).toBe(
      created.webhookUrls.inbound,
    );
    const [row] = await storedRows(org.organizationId);
    expect(
      server.vault.decrypt(row!.twilioAuthTokenHash!, { rowId: created.id, accountSid: second.sid }),
    ).toBe(second.authToken);
  });

  it('update into an account whose sandbox is connected in another organization: a conflict, not a server error, and the row is unchanged', async () => {
    const { first, second, accountOne, accountTwo, one, two } = await sandboxInTwoOrganizations([
      'Sandbox First',
      'Sandbox Second',
    ]);

    const moved = await second.owner.mutation('whatsapp.connections.update', {
      id: two.data.id,
      accountSid: accountOne.accountSid,
      authToken: accountOne.authToken,
    });
    expect(moved.error).toMatchObject({
      code: 'CONFLICT',
      message: 'This WhatsApp number is already connected with that Twilio account.',
    });
    for (const leak of ['Sandbox First', first.organizationId, one.data.id, accountOne.authToken]) {
      expect(moved.raw.body).not.toContain(leak);
    }
    const still = await second.owner.query<ConnectionWriteResult>('whatsapp.connections.get', {
      id: two.data.id,
    });
    expect(still.data.accountSid).toBe(accountTwo.accountSid);
  });

  it('verify re-checks the stored credentials and sets lastVerifiedAt', async () => {
    const org = await signUpOrganization(server, 'Verifier');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, account);
    await withServiceRole(server.db, (tx) =>
      tx.update(connections).set({ lastVerifiedAt: null }).where(eq(connections.id, created.id)),
    );
    const res = await org.owner.mutation<WhatsappConnection>('whatsapp.connections.verify', {
      id: created.id,
    });
    expect(res.error).toBeUndefined();
    expect(res.data.lastVerifiedAt).not.toBeNull();
    expect(Date.now() - Date.parse(res.data.lastVerifiedAt!)).toBeLessThan(60_000);

    // The token was revoked at Twilio: verify says so and leaves the row as it was.
    server.simulator.sim.accounts.get(account.accountSid)!.authToken = otherToken(account.authToken);
    const failed = await org.owner.mutation('whatsapp.connections.verify', { id: created.id });
    expect(failed.error?.fieldErrors?.authToken).toBeDefined();
    const [row] = await storedRows(org.organizationId);
    expect(row?.lastVerifiedAt?.toISOString()).toBe(res.data.lastVerifiedAt);
  });

  it('setActive deactivates and reactivates, announcing each change on the notify channel', async () => {
    const org = await signUpOrganization(server, 'Toggler');
    const created = await connectSender(org.owner, seedTwilioAccount(server.simulator));
    const listener = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    const heard: string[] = [];
    try {
      await listener.listen(CONNECTION_CHANGED_CHANNEL, (payload) => heard.push(payload));
      const off = await org.owner.mutation<WhatsappConnection>('whatsapp.connections.setActive', {
        id: created.id,
        isActive: false,
      });
      expect(off.data.isActive).toBe(false);
      await expect.poll(() => heard).toEqual([created.id]);
      const on = await org.owner.mutation<WhatsappConnection>('whatsapp.connections.setActive', {
        id: created.id,
        isActive: true,
      });
      expect(on.data.isActive).toBe(true);
      await expect.poll(() => heard).toEqual([created.id, created.id]);
    } finally {
      await listener.end();
    }
  });

  it('delete disconnects and keeps the webhook events; delete history (owner, number typed) removes them', async () => {
    const org = await signUpOrganization(server, 'Deleter');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(org.owner, account);
    await insertEvent(created.id, 'SM00000000000000000000000000000001');
    const events = await org.owner.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: created.id,
    });
    expect(events.data).toHaveLength(1);
    const eventsLeft = async () => {
      const [left] = await withServiceRole(server.db, (tx) =>
        tx
          .select({ n: sql<number>`count(*)::int` })
          .from(twilioWhatsappWebhookEvents)
          .where(eq(twilioWhatsappWebhookEvents.connectionId, created.id)),
      );
      return left?.n;
    };

    const res = await org.owner.mutation<{ id: string }>('whatsapp.connections.delete', { id: created.id });
    expect(res.data.id).toBe(created.id);
    expect(await eventsLeft()).toBe(1);
    const kept = await org.owner.query<WhatsappConnection>('whatsapp.connections.get', { id: created.id });
    expect(kept.data.disconnectedAt).not.toBeNull();

    const gone = await org.owner.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: account.senderNumber,
    });
    expect(gone.data).toEqual({ id: created.id });
    expect(await eventsLeft()).toBe(0);
    expect((await org.owner.query('whatsapp.connections.get', { id: created.id })).error?.code).toBe(
      'NOT_FOUND',
    );
  });

  it("events.list shows a connection's recent events, newest first, without payloads", async () => {
    const org = await signUpOrganization(server, 'Eventful');
    const created = await connectSender(org.owner, seedTwilioAccount(server.simulator));
    await insertEvent(created.id, 'SM00000000000000000000000000000010', "now() - interval '1 minute'");
    await insertEvent(created.id, 'SM00000000000000000000000000000011', 'now()');
    const res = await org.owner.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: created.id,
      limit: 10,
    });
    expect(res.data.map((e) => e.messageSid)).toEqual([
      'SM00000000000000000000000000000011',
      'SM00000000000000000000000000000010',
    ]);
    expect(res.data[0]).toEqual({
      id: expect.any(String),
      eventType: 'message',
      messageSid: 'SM00000000000000000000000000000011',
      messageStatus: null,
      status: 'pending',
      source: 'webhook',
      attempts: 0,
      errorMessage: null,
      createdAt: expect.any(String),
      processedAt: null,
      // The delivery log's fields (20261201_delivery_log): not tried yet, due now, never retried.
      outcome: 'pending',
      nextAttemptAt: expect.any(String),
      retriedBy: null,
      retriedAt: null,
    });
    expect(res.raw.body).not.toContain('Body');
  });

  it('every request the adapter sent to Twilio matched the OpenAPI description', () => {
    expect(server.simulator.sim.apiRequests().length).toBeGreaterThan(10);
    expect(server.simulator.sim.oaiViolations()).toEqual([]);
  });

  async function insertEvent(connectionId: string, messageSid: string, createdAt = 'now()') {
    await withServiceRole(server.db, (tx) =>
      tx.insert(twilioWhatsappWebhookEvents).values({
        connectionId,
        messageSid,
        eventType: 'message',
        idempotencyKey: `message:${messageSid}`,
        payload: { MessageSid: messageSid, Body: 'hello' },
        createdAt: sql.raw(createdAt) as unknown as Date,
      }),
    );
  }
});
