import type { DisconnectResult, WebhookEvent, WhatsappConnection } from '@app/contracts';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappMessages,
  twilioWhatsappWebhookEvents,
  withServiceRole,
} from '@app/db';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { connectSender, seedTwilioAccount, type TwilioAccountFixture } from './connections-world.ts';
import { signUpOrganization, useTestServer } from './helpers.ts';

const EARLIER = {
  callback_url: 'https://earlier.example.com/whatsapp/in',
  callback_method: 'POST',
  status_callback_url: 'https://earlier.example.com/whatsapp/status',
  status_callback_method: 'POST',
};

describe('disconnect keeps the history; delete history is separate; connecting again continues it', () => {
  const server = useTestServer(() => ({}), { simulator: true });
  /** A sender whose webhooks pointed at another system before it was connected here. */
  function accountWithEarlierWebhooks(): TwilioAccountFixture {
    const account = seedTwilioAccount(server.simulator);
    Object.assign(server.simulator.sim.senders.get(account.senderSid)!.webhook, EARLIER);
    return account;
  }

  async function history(connectionId: string, messageSid: string) {
    await withServiceRole(server.db, async (tx) => {
      const [row] = await tx
        .select({ organizationId: connections.organizationId, number: connections.whatsappNumber })
        .from(connections)
        .where(eq(connections.id, connectionId));
      await tx.insert(twilioWhatsappMessages).values({
        organizationId: row!.organizationId,
        connectionId,
        messageSid,
        direction: 'inbound',
        fromNumber: 'whatsapp:+447700900123',
        toNumber: `whatsapp:${row!.number}`,
        body: 'Hello from before',
        status: 'received',
      });
      await tx.insert(twilioWhatsappWebhookEvents).values({
        connectionId,
        messageSid,
        eventType: 'message',
        idempotencyKey: `message:${messageSid}`,
        payload: { MessageSid: messageSid, Body: 'Hello from before' },
      });
    });
  }

  const stored = (id: string) =>
    withServiceRole(server.db, async (tx) => {
      const [row] = await tx.select().from(connections).where(eq(connections.id, id));
      const [counts] = await tx
        .select({
          messages: sql<number>`(select count(*)::int from twilio_whatsapp_messages where connection_id = ${id})`,
          events: sql<number>`(select count(*)::int from twilio_whatsapp_webhook_events where connection_id = ${id})`,
        })
        .from(sql`(select 1) as one`);
      return { row, ...counts! };
    });

  it("disconnect: the token is erased, the history stays listed, Twilio's sender is back to its earlier webhooks", async () => {
    const org = await signUpOrganization(server, 'Keeper');
    const account = accountWithEarlierWebhooks();
    const created = await connectSender(org.owner, account);
    expect(server.simulator.sim.senders.get(account.senderSid)?.webhook.callback_url).toBe(
      created.webhookUrls.inbound,
    );
    await history(created.id, 'SM00000000000000000000000000000a01');
    // As after a token rotation: the replaced token is still kept for its grace period.
    await withServiceRole(server.db, (tx) =>
      tx
        .update(connections)
        .set({
          twilioPreviousAuthToken: 'v1.k1.iv.tag.previous',
          previousTokenExpiresAt: new Date(Date.now() + 86_400_000),
        })
        .where(eq(connections.id, created.id)),
    );
    const requestsBefore = server.simulator.sim.apiRequests().length;

    const res = await org.owner.mutation<DisconnectResult>('whatsapp.connections.delete', { id: created.id });
    expect(res.data).toEqual({
      id: created.id,
      webhooksRestored: true,
      webhookNote: `Twilio's webhook settings for ${account.senderNumber} are back to what they were before it was connected.`,
    });
    // Twilio's request log: the sender was read, then put back; its webhooks are the earlier ones.
    const calls = server.simulator.sim.apiRequests().slice(requestsBefore);
    expect(calls.map((c) => `${c.method} ${c.operationId}`)).toEqual([
      'GET FetchChannelsSender',
      'POST UpdateChannelsSender',
    ]);
    expect(server.simulator.sim.senders.get(account.senderSid)?.webhook).toMatchObject(EARLIER);

    const after = await stored(created.id);
    expect(after.row?.twilioAuthTokenHash).toBeNull();
    expect(after.row?.twilioPreviousAuthToken).toBeNull();
    expect(after.row?.previousTokenExpiresAt).toBeNull();
    expect(after.row?.twilioWebhooksBefore).toBeNull();
    expect(after.row?.disconnectedAt).toBeInstanceOf(Date);
    expect(after.messages).toBe(1);
    expect(after.events).toBe(1);

    // Still listed, as disconnected, with when and by whom; the conversation reads as before.
    const member = await org.addPerson('member');
    const listed = await member.query<WhatsappConnection[]>('whatsapp.connections.list');
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({
      id: created.id,
      isActive: false,
      webhookConfigured: false,
      disconnectedAt: after.row?.disconnectedAt?.toISOString(),
      disconnectedBy: org.ownerEmail,
    });
    const conversation = await member.query<{ items: { body: string }[] }>('whatsapp.messages.list', {
      connectionId: created.id,
    });
    expect(conversation.data.items.map((m) => m.body)).toEqual(['Hello from before']);
    const events = await org.owner.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: created.id,
    });
    expect(events.data).toHaveLength(1);

    // Nothing can act with the erased token any more.
    const send = await member.mutation('whatsapp.messages.send', {
      connectionId: created.id,
      to: 'whatsapp:+447700900123',
      body: 'Hello?',
    });
    expect(send.error?.code).toBe('PRECONDITION_FAILED');
    expect(send.error?.message).toMatch(/is disconnected: its Auth Token was erased/);
    for (const [path, input] of [
      ['whatsapp.connections.setActive', { id: created.id, isActive: true }],
      ['whatsapp.connections.verify', { id: created.id }],
      ['whatsapp.connections.configureWebhooks', { id: created.id }],
      ['whatsapp.connections.update', { id: created.id, authToken: account.authToken }],
    ] as const) {
      expect((await org.owner.mutation(path, input)).error?.code, path).toBe('PRECONDITION_FAILED');
    }
    // Disconnecting again changes nothing and says so.
    const again = await org.owner.mutation<DisconnectResult>('whatsapp.connections.delete', {
      id: created.id,
    });
    expect(again.data.webhookNote).toBe(`${account.senderNumber} was disconnected already.`);
  });

  it('a phone-number connection (from before the sender check): its SmsUrl and StatusCallback go back', async () => {
    // Phone numbers can no longer be connected (only WhatsApp senders); a connection
    // made from one earlier is disconnected like any other. Stored as connect stored it.
    const org = await signUpOrganization(server, 'Numbers');
    const account = seedTwilioAccount(server.simulator);
    const id = crypto.randomUUID();
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
        twilioWebhooksBefore: {
          inboundUrl: 'https://earlier.example.com/sms',
          inboundMethod: 'GET',
          statusUrl: null,
          statusMethod: null,
        },
      }),
    );
    const listed = await org.owner.query<WhatsappConnection>('whatsapp.connections.get', { id });
    const number = server.simulator.sim.incomingNumbers.get(account.phoneNumberSid)!;
    number.smsUrl = listed.data.webhookUrls.inbound;
    number.statusCallback = listed.data.webhookUrls.status;
    const res = await org.owner.mutation<DisconnectResult>('whatsapp.connections.delete', { id });
    expect(res.data.webhooksRestored).toBe(true);
    expect(number).toMatchObject({
      smsUrl: 'https://earlier.example.com/sms',
      smsMethod: 'GET',
      statusCallback: null,
    });
  });

  it('the sandbox: the answer says what to clear in the Twilio Console', async () => {
    const org = await signUpOrganization(server, 'Sandboxed');
    const account = seedTwilioAccount(server.simulator);
    const created = await org.owner.mutation<WhatsappConnection>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: TWILIO_SANDBOX_NUMBER,
    });
    const res = await org.owner.mutation<DisconnectResult>('whatsapp.connections.delete', {
      id: created.data.id,
    });
    expect(res.data.webhooksRestored).toBe(false);
    expect(res.data.webhookNote).toContain('Sandbox settings');
    expect(res.data.webhookNote).toContain(created.data.webhookUrls.inbound);
  });

  it('Twilio refuses to put the settings back: the disconnect still happens and says what to clear by hand', async () => {
    const org = await signUpOrganization(server, 'Refused');
    const account = accountWithEarlierWebhooks();
    const created = await connectSender(org.owner, account);
    server.simulator.sim.injectFault({ operationId: 'UpdateChannelsSender', status: 500, code: 20500 });
    const res = await org.owner.mutation<DisconnectResult>('whatsapp.connections.delete', { id: created.id });
    server.simulator.sim.clearFaults();
    expect(res.data.webhooksRestored).toBe(false);
    expect(res.data.webhookNote).toMatch(/could not be put back: Twilio had a problem answering \(HTTP 500/);
    expect(res.data.webhookNote).toContain(`pick ${account.senderNumber}, and replace the webhook URLs`);
    expect((await stored(created.id)).row?.twilioAuthTokenHash).toBeNull();
  });

  it('connecting the number again in the same organization continues the same history', async () => {
    const org = await signUpOrganization(server, 'Returning');
    const account = accountWithEarlierWebhooks();
    const created = await connectSender(org.owner, account, 'Support');
    await history(created.id, 'SM00000000000000000000000000000a02');
    await org.owner.mutation('whatsapp.connections.delete', { id: created.id });

    const again = await connectSender(org.owner, account, 'Support again');
    expect(again.id).toBe(created.id);
    expect(again).toMatchObject({
      isActive: true,
      webhookConfigured: true,
      disconnectedAt: null,
      disconnectedBy: null,
    });
    expect(again.friendlyName).toBe('Support again');
    const conversation = await org.owner.query<{ items: { body: string }[] }>('whatsapp.messages.list', {
      connectionId: again.id,
    });
    expect(conversation.data.items.map((m) => m.body)).toEqual(['Hello from before']);
    // The earlier settings were learnt again, so a second disconnect restores them too.
    await org.owner.mutation('whatsapp.connections.delete', { id: again.id });
    expect(server.simulator.sim.senders.get(account.senderSid)?.webhook).toMatchObject(EARLIER);
  });

  it('another organization may connect the number only once its history is deleted; only an owner deletes it, with the number typed', async () => {
    const first = await signUpOrganization(server, 'First');
    const second = await signUpOrganization(server, 'Second');
    const account = seedTwilioAccount(server.simulator);
    const created = await connectSender(first.owner, account);
    await history(created.id, 'SM00000000000000000000000000000a03');

    const whileConnected = await first.owner.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: account.senderNumber,
    });
    expect(whileConnected.error?.code).toBe('PRECONDITION_FAILED');
    await first.owner.mutation('whatsapp.connections.delete', { id: created.id });

    const taken = await second.owner.mutation('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    });
    expect(taken.error?.code).toBe('CONFLICT');
    expect(taken.error?.message).toBe(
      `${account.senderNumber} was connected to another organization, which keeps its message history. It can be connected here once an owner there deletes that history.`,
    );

    const admin = await first.addPerson('admin');
    const byAdmin = await admin.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: account.senderNumber,
    });
    expect(byAdmin.error?.code).toBe('FORBIDDEN');
    const mistyped = await first.owner.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: '+15550000000',
    });
    expect(mistyped.error?.code).toBe('BAD_REQUEST');
    expect(mistyped.error?.fieldErrors?.confirmation).toEqual([
      `Type ${account.senderNumber} exactly to delete its history.`,
    ]);
    const byOtherOrg = await second.owner.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: account.senderNumber,
    });
    expect(byOtherOrg.error?.code).toBe('NOT_FOUND');
    expect((await stored(created.id)).messages).toBe(1);

    const deleted = await first.owner.mutation('whatsapp.connections.deleteHistory', {
      id: created.id,
      confirmation: account.senderNumber,
    });
    expect(deleted.data).toEqual({ id: created.id });
    expect(await stored(created.id)).toEqual({ row: undefined, messages: 0, events: 0 });
    expect((await first.owner.query('whatsapp.connections.get', { id: created.id })).error?.code).toBe(
      'NOT_FOUND',
    );

    const now = await second.owner.mutation<WhatsappConnection>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: account.senderNumber,
    });
    expect(now.error).toBeUndefined();
    expect(now.data.id).not.toBe(created.id);
  });

  it('every request the adapter sent to Twilio matched the OpenAPI description', () => {
    expect(server.simulator.sim.oaiViolations()).toEqual([]);
  });
});
