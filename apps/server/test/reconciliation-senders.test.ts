import type { SyncConnectionResult, WhatsappConversation } from '@app/contracts';
import { describe, expect, it, vi } from 'vitest';
import { uniqueNumber } from './connections-world.ts';
import { useMessagingWorld } from './messages-world.ts';

// Reconciliation of a Messaging Service reads every WhatsApp sender of its pool, each
// once; and a message read back late keeps the time Twilio received it, so the
// 24-hour window and the conversation's order follow the customer, not our clock.

const world = useMessagingWorld({
  retryPolicy: 'twilio',
  reconciliation: { atStartup: false, unfinishedCheckEveryMs: 0 },
});

const NOWHERE = 'http://127.0.0.1:9/nowhere';
const HOUR = 60 * 60_000;
let customerSeq = 0;
/** A customer's number (E.164), and their WhatsApp address. */
const freshCustomer = () => `+4477009${String(50_000 + customerSeq++).padStart(5, '0')}`;
const wa = (e164: string) => `whatsapp:${e164}`;

function sync(cookie: string, id: string) {
  return world.trpc<SyncConnectionResult>('mutation', 'whatsapp.connections.sync', { id }, cookie);
}

async function rows(sql: string, ...params: string[]) {
  return world.server.db.$client.unsafe(sql, params);
}

/** How long vi.waitFor waits for the worker or the reconciler to store something. */
const STORED = { timeout: 10_000, interval: 25 };

async function storedInbound(connectionId: string) {
  return rows(
    "select message_sid, to_number, body, created_at from twilio_whatsapp_messages where connection_id = $1 and direction = 'inbound' order by created_at",
    connectionId,
  );
}

const callsTo = (operationId: string) =>
  world.sim.apiRequests().filter((r) => r.operationId === operationId).length;
/** Every request that reads a service or its senders (not the messages). */
const poolReads = () => ({
  FetchService: callsTo('FetchService'),
  ListChannelSender: callsTo('ListChannelSender'),
  ListPhoneNumber: callsTo('ListPhoneNumber'),
  ListChannelsSender: callsTo('ListChannelsSender'),
});
/** How many more of each `poolReads` counts than `before`. */
const poolReadsSince = (before: ReturnType<typeof poolReads>) => {
  const now = poolReads();
  return Object.fromEntries(
    Object.entries(now).map(([op, n]) => [op, n - before[op as keyof typeof before]]),
  );
};
const listMessageCalls = () => world.sim.apiRequests().filter((r) => r.operationId === 'ListMessage').length;
const createMessageCalls = () =>
  world.sim.apiRequests().filter((r) => r.operationId === 'CreateMessage').length;

/** An organization with a Messaging Service of two WhatsApp senders, connected. */
async function connectedService() {
  const org = await world.organization(`Pool ${customerSeq}`);
  const account = world.sim.seedAccount();
  const numbers = [uniqueNumber(), uniqueNumber()] as const;
  const service = world.sim.addMessagingService(account.sid, {
    friendlyName: 'Support pool',
    senders: [...numbers],
  });
  const connectionId = await world.connectService(org.owner.cookie, account, service.sid);
  return { org, account, numbers, service, connectionId };
}

/** An organization with one WhatsApp number, connected. */
async function connectedNumber() {
  const org = await world.organization(`Number ${customerSeq}`);
  const number = uniqueNumber();
  const account = world.sim.seedAccount();
  const sender = world.sim.addWhatsappSender(account.sid, number);
  const connectionId = await world.connect(org.owner.cookie, account, number);
  return { org, number, account, sender, connectionId };
}

/** Runs `write` while Twilio cannot reach us (the service's inbound URL leads nowhere). */
async function unheardByService(service: { inboundRequestUrl: string | null }, write: () => Promise<string>) {
  const url = service.inboundRequestUrl;
  service.inboundRequestUrl = NOWHERE;
  try {
    return await write();
  } finally {
    service.inboundRequestUrl = url;
  }
}

/** A customer writes to `to`, a sender of the service, while Twilio cannot reach us; the message's SID. */
async function missedByService(service: { inboundRequestUrl: string | null }, to: string, body: string) {
  return unheardByService(service, async () => {
    const { messageSid } = await world.sim.deliverInbound({ to, from: wa(freshCustomer()), body });
    return messageSid;
  });
}

/** Syncs, counting the reads of the pool and of the messages it made. */
async function syncCounted(cookie: string, id: string) {
  const before = poolReads();
  const messagesBefore = listMessageCalls();
  const synced = await sync(cookie, id);
  return { synced, pool: poolReadsSince(before), messageReads: listMessageCalls() - messagesBefore };
}

/** The connection was made `ms` ago: a first reconciliation reads back that far. */
async function connectedAgo(connectionId: string, ms: number) {
  await rows(
    `update twilio_whatsapp_connections set created_at = now() - interval '${Math.round(ms / 1000)} seconds' where id = $1`,
    connectionId,
  );
}

describe('a Messaging Service connection', () => {
  it("recovers inbound to its second sender and the status of a message sent from it, each once, reading each sender's history once", async () => {
    const c = await connectedService();
    const customer = freshCustomer();
    // The customer wrote to the second sender (heard): Twilio's sticky sender replies from it.
    await world.customerWritesThroughTwilio({ to: c.numbers[1], from: wa(customer), body: 'hi' });
    const sent = await world.sendHeld(c.org.admin.cookie, {
      connectionId: c.connectionId,
      to: customer,
      body: 'Hello!',
    });
    expect(sent.error).toBeUndefined();
    const outbound = sent.data!;
    await world.sim.waitForIdle();
    const atTwilio = world.sim.message(outbound.messageSid!)!;
    expect(atTwilio.from).toBe(`whatsapp:${c.numbers[1]}`);
    // Twilio delivered it; the callbacks were lost. And the customer wrote again, unheard.
    Object.assign(atTwilio, { status: 'delivered', dateSent: new Date() });
    const missed = await unheardByService(c.service, async () => {
      const { messageSid } = await world.sim.deliverInbound({
        to: c.numbers[1],
        from: wa(customer),
        body: 'thanks!',
      });
      return messageSid;
    });

    const before = listMessageCalls();
    const synced = await sync(c.org.admin.cookie, c.connectionId);
    expect(synced.error).toBeUndefined();
    expect(synced.data).toMatchObject({ inboundRecovered: 1, statusesUpdated: 1 });
    // Two senders, To and From each, one page each: four reads, no sender read twice.
    expect(listMessageCalls() - before).toBe(4);
    const stored = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(2);
      return m;
    }, STORED);
    expect(stored.map((m) => [m.message_sid === missed, m.to_number, m.body])).toContainEqual([
      true,
      `whatsapp:${c.numbers[1]}`,
      'thanks!',
    ]);
    await world.eventually(c.org.admin.cookie, c.connectionId, outbound.id, (m) => m.status === 'delivered');

    // A repeat run stores nothing new.
    const again = await sync(c.org.admin.cookie, c.connectionId);
    expect(again.data).toMatchObject({ inboundRecovered: 0, statusesUpdated: 0 });
    expect(await storedInbound(c.connectionId)).toHaveLength(2);
    const events = await rows(
      'select event_type, source from twilio_whatsapp_webhook_events where connection_id = $1 and message_sid = $2',
      c.connectionId,
      missed,
    );
    expect(events).toEqual([{ event_type: 'message', source: 'reconciliation' }]);
  });

  it('a sender added to the service since the connect is read too', async () => {
    const c = await connectedService();
    const added = uniqueNumber();
    world.sim.addServiceSender(c.service.sid, added);
    const missed = await missedByService(c.service, added, 'new line?');
    const { synced, pool, messageReads } = await syncCounted(c.org.admin.cookie, c.connectionId);
    expect(synced.data).toMatchObject({ inboundRecovered: 1 });
    expect(messageReads).toBe(6);
    // The pool in two reads: its ChannelSenders and PhoneNumbers, not the service nor the account's senders.
    expect(pool).toEqual({
      FetchService: 0,
      ListChannelSender: 1,
      ListPhoneNumber: 1,
      ListChannelsSender: 0,
    });
    const stored = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]).toMatchObject({ message_sid: missed, to_number: `whatsapp:${added}` });
  });

  it('a phone number added to the pool since the connect is read when it is a WhatsApp sender of the account (one more request), and not when it is not', async () => {
    const c = await connectedService();
    const [sender, plain] = [uniqueNumber(), uniqueNumber()];
    world.sim.addWhatsappSender(c.account.sid, sender);
    for (const e164 of [sender, plain]) {
      world.sim.messagingServices.addPhoneNumber(
        c.service.sid,
        world.sim.addIncomingNumber(c.account.sid, e164).sid,
      );
    }
    const missed = await missedByService(c.service, sender, 'via the pool number');
    const { synced, pool, messageReads } = await syncCounted(c.org.admin.cookie, c.connectionId);
    expect(synced.data).toMatchObject({ inboundRecovered: 1 });
    // The account's senders are listed once, for the pool's new phone numbers.
    expect(pool).toEqual({
      FetchService: 0,
      ListChannelSender: 1,
      ListPhoneNumber: 1,
      ListChannelsSender: 1,
    });
    // The two senders of the connect and the pool number that is a sender; the plain number is not read.
    expect(messageReads).toBe(6);
    const stored = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]).toMatchObject({ message_sid: missed, to_number: `whatsapp:${sender}` });
  });

  it('a service Twilio no longer has: the senders stored at the connect are still read', async () => {
    const c = await connectedService();
    const missed = await missedByService(c.service, c.numbers[1], 'hello?');
    // Twilio no longer has the service: its lists answer 404.
    world.sim.services.delete(c.service.sid);
    const { synced, pool } = await syncCounted(c.org.admin.cookie, c.connectionId);
    // The service's pool was asked for, and Twilio answered that it is gone.
    expect(pool).toMatchObject({ FetchService: 0, ListChannelSender: 1, ListPhoneNumber: 1 });
    expect(synced.error).toBeUndefined();
    expect(synced.data).toMatchObject({ inboundRecovered: 1 });
    const stored = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]?.message_sid).toBe(missed);
  });
});

describe("a message read back late keeps Twilio's time", () => {
  it('recovered 25 hours after Twilio received it, the window stays closed: free text is refused before Twilio is called', async () => {
    const c = await connectedNumber();
    await connectedAgo(c.connectionId, 2 * 24 * HOUR);
    const customer = freshCustomer();
    const url = c.sender.webhook.callback_url;
    c.sender.webhook.callback_url = NOWHERE;
    let sid: string;
    try {
      sid = (await world.sim.deliverInbound({ to: c.number, from: wa(customer), body: 'Open tomorrow?' }))
        .messageSid;
    } finally {
      c.sender.webhook.callback_url = url;
    }
    // Twilio received it 25 hours ago (and posted it to a server that was down).
    const received = new Date(Date.now() - 25 * HOUR);
    Object.assign(world.sim.message(sid)!, {
      dateCreated: received,
      dateSent: received,
      dateUpdated: received,
    });

    expect((await sync(c.org.admin.cookie, c.connectionId)).data).toMatchObject({ inboundRecovered: 1 });
    const [stored] = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    // Twilio's date_created is RFC 2822: whole seconds.
    expect(new Date(stored!.created_at).getTime()).toBe(Math.floor(received.getTime() / 1000) * 1000);

    const conversations = await world.trpc<WhatsappConversation[]>(
      'query',
      'whatsapp.conversations.list',
      { connectionId: c.connectionId },
      c.org.member.cookie,
    );
    expect(conversations.data?.find((x) => x.customer === customer)).toMatchObject({
      lastInboundAt: new Date(stored!.created_at).toISOString(),
      windowExpiresAt: null,
    });

    const calls = createMessageCalls();
    const refused = await world.send(c.org.member.cookie, {
      connectionId: c.connectionId,
      to: customer,
      body: 'Yes!',
    });
    expect(refused.error?.data.code).toBe('PRECONDITION_FAILED');
    expect(refused.error?.message).toMatch(/last wrote more than 24 hours ago/);
    expect(createMessageCalls()).toBe(calls);
  });

  it('a message recovered late sorts before one the webhook brought after it, and the window counts from it', async () => {
    const c = await connectedNumber();
    const customer = freshCustomer();
    const url = c.sender.webhook.callback_url;
    c.sender.webhook.callback_url = NOWHERE;
    let early: string;
    try {
      early = (await world.sim.deliverInbound({ to: c.number, from: wa(customer), body: 'first' }))
        .messageSid;
    } finally {
      c.sender.webhook.callback_url = url;
    }
    const received = new Date(Date.now() - 90_000);
    Object.assign(world.sim.message(early)!, { dateCreated: received, dateSent: received });
    const late = await world.customerWritesThroughTwilio({
      to: c.number,
      from: wa(customer),
      body: 'second',
    });

    expect((await sync(c.org.admin.cookie, c.connectionId)).data).toMatchObject({ inboundRecovered: 1 });
    const stored = await vi.waitFor(async () => {
      const m = await storedInbound(c.connectionId);
      expect(m).toHaveLength(2);
      return m;
    }, STORED);
    expect(stored.map((m) => m.message_sid)).toEqual([early, late.messageSid]);
    const page = await world.list(c.org.member.cookie, { connectionId: c.connectionId, customer });
    expect(page.data?.items.map((m) => m.body)).toEqual(['second', 'first']);
    // The window counts from the latest message: open.
    const sent = await world.send(c.org.member.cookie, {
      connectionId: c.connectionId,
      to: customer,
      body: 'Hi!',
    });
    expect(sent.error).toBeUndefined();
  });

  it('a webhook-delivered message is dated when it is stored, as before', async () => {
    const c = await connectedNumber();
    const customer = freshCustomer();
    const before = Date.now();
    const { messageSid } = await world.customerWritesThroughTwilio({
      to: c.number,
      from: wa(customer),
      body: 'now',
    });
    const [stored] = await storedInbound(c.connectionId);
    expect(stored?.message_sid).toBe(messageSid);
    const storedAt = new Date(stored!.created_at).getTime();
    expect(storedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(storedAt).toBeLessThanOrEqual(Date.now());
  });
});

describe("Twilio's OpenAPI description", () => {
  it('every request these reconciliations sent conforms to it', () => {
    expect(world.sim.oaiViolations()).toEqual([]);
  });
});
