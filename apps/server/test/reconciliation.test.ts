import type { SyncConnectionResult, WebhookEvent, WhatsappConnection } from '@app/contracts';
import { insertWebhookEvents } from '@app/db';
import type { SimSender } from '@app/twilio/simulator';
import twilio from 'twilio';
import { describe, expect, it, vi } from 'vitest';
import { useMessagingWorld } from './messages-world.ts';

// Reconciliation with Twilio's Messages API: what a webhook did not bring is read
// back, through the same idempotency keys and the same worker.

const world = useMessagingWorld({
  retryPolicy: 'twilio',
  // Two messages per page: any test with three or more messages follows pages.
  adapter: { listPageSize: 2, readRetry: { attempts: 4, backoffMs: 5 } },
  reconciliation: { atStartup: false, unfinishedCheckEveryMs: 0 },
});

const NOWHERE = 'http://127.0.0.1:9/nowhere';
let numberSeq = 0;

async function connectedNumber() {
  const org = await world.organization(`Reconcile ${numberSeq}`);
  const number = `+1415555${String(2000 + numberSeq++).padStart(4, '0')}`;
  const account = world.sim.seedAccount();
  const sender: SimSender = world.sim.addWhatsappSender(account.sid, number);
  const connectionId = await world.connect(org.owner.cookie, account, number);
  return { org, number, account, sender, connectionId };
}

/** The customer writes while Twilio cannot reach us (the webhook URL leads nowhere). */
async function writesUnheard(
  c: Awaited<ReturnType<typeof connectedNumber>>,
  input: { body?: string; media?: { url: string; contentType: string }[] },
) {
  const url = c.sender.webhook.callback_url;
  c.sender.webhook.callback_url = NOWHERE;
  try {
    const { messageSid } = await world.sim.deliverInbound({ to: c.number, from: customer, ...input });
    return messageSid;
  } finally {
    c.sender.webhook.callback_url = url;
  }
}

const customer = 'whatsapp:+447700900123';

function sync(cookie: string, id: string) {
  return world.trpc<SyncConnectionResult>('mutation', 'whatsapp.connections.sync', { id }, cookie);
}

async function rows(sql: string, ...params: string[]) {
  return world.server.db.$client.unsafe(sql, params);
}

async function eventsOf(connectionId: string, messageSid: string) {
  return rows(
    'select event_type, message_status, source, status from twilio_whatsapp_webhook_events where connection_id = $1 and message_sid = $2 order by created_at',
    connectionId,
    messageSid,
  );
}

async function messagesOf(connectionId: string) {
  return rows(
    'select message_sid, direction, body, media, status from twilio_whatsapp_messages where connection_id = $1 order by created_at',
    connectionId,
  );
}

/** How long vi.waitFor waits for the worker or the reconciler to store something. */
const STORED = { timeout: 10_000, interval: 25 };

/** Twilio's inbound webhook for a message, signed as Twilio signs it, posted to our route. */
async function lateWebhook(connectionId: string, authToken: string, params: Record<string, string>) {
  const publicUrl = world.server.app.services.publicUrl;
  const path = `/webhooks/twilio/whatsapp/${connectionId}`;
  return world.server.app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        authToken,
        `${publicUrl.origin}${path}`,
        params,
      ),
    },
    payload: new URLSearchParams(params).toString(),
  });
}

describe('whatsapp.connections.sync', () => {
  it('recovers a message no webhook brought; the webhook arriving later stores nothing new (200)', async () => {
    const c = await connectedNumber();
    const sid = await writesUnheard(c, { body: 'Are you open on Sunday?' });
    expect(await messagesOf(c.connectionId)).toEqual([]);

    const synced = await sync(c.org.admin.cookie, c.connectionId);
    expect(synced.error).toBeUndefined();
    expect(synced.data).toMatchObject({ inboundRecovered: 1, statusesUpdated: 0 });
    expect(Date.parse(synced.data!.checkedTo)).toBeGreaterThan(Date.parse(synced.data!.checkedFrom));
    const stored = await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]).toMatchObject({
      message_sid: sid,
      direction: 'inbound',
      body: 'Are you open on Sunday?',
    });

    const late = await lateWebhook(c.connectionId, c.account.authToken, {
      MessageSid: sid,
      SmsSid: sid,
      AccountSid: c.account.sid,
      From: customer,
      To: `whatsapp:${c.number}`,
      Body: 'Are you open on Sunday?',
      NumMedia: '0',
    });
    expect(late.statusCode).toBe(200);
    expect((await eventsOf(c.connectionId, sid)).map((e) => e.source)).toEqual(['reconciliation']);
    expect(await messagesOf(c.connectionId)).toHaveLength(1);

    // The log shows where the event came from; the card when Twilio was last read.
    const events = await world.trpc<WebhookEvent[]>(
      'query',
      'whatsapp.events.list',
      { connectionId: c.connectionId },
      c.org.admin.cookie,
    );
    expect(events.data?.map((e) => [e.messageSid, e.source])).toEqual([[sid, 'reconciliation']]);
    const card = await world.trpc<WhatsappConnection>(
      'query',
      'whatsapp.connections.get',
      { id: c.connectionId },
      c.org.member.cookie,
    );
    expect(card.data?.lastReconciledAt).toBe(synced.data!.checkedTo);
  });

  it('a message a webhook stored is not recovered again', async () => {
    const c = await connectedNumber();
    const { messageSid } = await world.sim.deliverInbound({ to: c.number, from: customer, body: 'hello' });
    await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    const synced = await sync(c.org.owner.cookie, c.connectionId);
    expect(synced.data).toMatchObject({ inboundRecovered: 0, statusesUpdated: 0 });
    expect((await eventsOf(c.connectionId, messageSid)).map((e) => e.source)).toEqual(['webhook']);
    expect(await messagesOf(c.connectionId)).toHaveLength(1);
  });

  it('follows every page: five messages missed, five recovered, each once', async () => {
    const c = await connectedNumber();
    const sids: string[] = [];
    for (let i = 1; i <= 5; i++) sids.push(await writesUnheard(c, { body: `message ${i}` }));
    const synced = await sync(c.org.admin.cookie, c.connectionId);
    expect(synced.data).toMatchObject({ inboundRecovered: 5 });
    const stored = await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(5);
      return m;
    }, STORED);
    expect(stored.map((m) => m.message_sid).sort()).toEqual([...sids].sort());
    const pages = world.sim.apiRequests().filter((r) => r.operationId === 'ListMessage');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    // A second sync finds nothing missing.
    expect((await sync(c.org.admin.cookie, c.connectionId)).data).toMatchObject({
      inboundRecovered: 0,
      statusesUpdated: 0,
    });
  });

  it("recovers inbound media with Twilio's media URLs and content types", async () => {
    const c = await connectedNumber();
    const sid = await writesUnheard(c, {
      body: 'my receipt',
      media: [
        { url: 'https://cdn.example.com/receipt.jpg', contentType: 'image/jpeg' },
        { url: 'https://cdn.example.com/receipt.pdf', contentType: 'application/pdf' },
      ],
    });
    expect((await sync(c.org.admin.cookie, c.connectionId)).data).toMatchObject({ inboundRecovered: 1 });
    const [stored] = await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    const mediaSids = world.sim.message(sid)!.media.map((m) => m.sid);
    expect(stored!.media).toEqual([
      {
        url: `https://api.twilio.com/2010-04-01/Accounts/${c.account.sid}/Messages/${sid}/Media/${mediaSids[0]}`,
        contentType: 'image/jpeg',
      },
      {
        url: `https://api.twilio.com/2010-04-01/Accounts/${c.account.sid}/Messages/${sid}/Media/${mediaSids[1]}`,
        contentType: 'application/pdf',
      },
    ]);
  });

  it('a status callback that never came is recovered; a status behind the stored one changes nothing', async () => {
    const c = await connectedNumber();
    await world.customerWritesThroughTwilio({ to: c.number, from: customer, body: 'hi' });
    const sent = await world.sendHeld(c.org.admin.cookie, {
      connectionId: c.connectionId,
      to: customer,
      body: 'Yes, 9 to 5',
    });
    const message = sent.data!;
    await world.sim.waitForIdle();
    // Twilio sent and delivered it; both callbacks were lost.
    Object.assign(world.sim.message(message.messageSid!)!, { status: 'delivered', dateSent: new Date() });
    const synced = await sync(c.org.admin.cookie, c.connectionId);
    expect(synced.data).toMatchObject({ inboundRecovered: 0, statusesUpdated: 1 });
    await world.eventually(c.org.admin.cookie, c.connectionId, message.id, (m) => m.status === 'delivered');

    // Twilio reporting an earlier status (e.g. a stale read) is no news, and moves nothing back.
    world.sim.message(message.messageSid!)!.status = 'sent';
    expect((await sync(c.org.admin.cookie, c.connectionId)).data).toMatchObject({ statusesUpdated: 0 });
    expect((await world.shown(c.org.admin.cookie, c.connectionId, message.id)).status).toBe('delivered');
  });

  it('a recovered status event the worker applies never moves a status backwards', async () => {
    const c = await connectedNumber();
    await world.customerWritesThroughTwilio({ to: c.number, from: customer, body: 'hi' });
    const sent = (
      await world.send(c.org.admin.cookie, { connectionId: c.connectionId, to: customer, body: 'ok' })
    ).data!;
    await world.eventually(c.org.admin.cookie, c.connectionId, sent.id, (m) => m.status === 'read');
    // A status event from reconciliation with an earlier status (as if it had raced the callbacks).
    await insertWebhookEvents(
      world.server.db.$client,
      [
        {
          connectionId: c.connectionId,
          messageSid: sent.messageSid!,
          eventType: 'status',
          messageStatus: 'sending',
          idempotencyKey: `status:${sent.messageSid}:sending`,
          payloadJson: JSON.stringify({ MessageSid: sent.messageSid, MessageStatus: 'sending' }),
          payloadHash: null,
        },
      ],
      'reconciliation',
    );
    await vi.waitFor(async () => {
      const e = await eventsOf(c.connectionId, sent.messageSid!);
      expect(e).toContainEqual(expect.objectContaining({ message_status: 'sending', status: 'processed' }));
    }, STORED);
    expect((await world.shown(c.org.admin.cookie, c.connectionId, sent.id)).status).toBe('read');
  });

  it("Twilio's 429 is waited out, and the sync goes on", async () => {
    const c = await connectedNumber();
    await writesUnheard(c, { body: 'busy day' });
    world.sim.injectFault({ operationId: 'ListMessage', status: 429, code: 20429, count: 2 });
    const synced = await sync(c.org.admin.cookie, c.connectionId);
    expect(synced.error).toBeUndefined();
    expect(synced.data).toMatchObject({ inboundRecovered: 1 });
  });

  it('one sync per connection at a time: a second one meanwhile is CONFLICT, with a sentence', async () => {
    const c = await connectedNumber();
    world.sim.injectFault({ operationId: 'ListMessage', delayMs: 400 });
    const [a, b] = await Promise.all([
      sync(c.org.admin.cookie, c.connectionId),
      new Promise((r) => setTimeout(r, 100)).then(() => sync(c.org.owner.cookie, c.connectionId)),
    ]);
    expect(a.error).toBeUndefined();
    expect(b.error?.data.code).toBe('CONFLICT');
    expect(b.error?.message).toBe(
      'This connection is being checked against Twilio right now. Try again in a minute.',
    );
    // The lease was released: the next one runs.
    expect((await sync(c.org.owner.cookie, c.connectionId)).error).toBeUndefined();
  });

  it('a member cannot sync', async () => {
    const c = await connectedNumber();
    const res = await sync(c.org.member.cookie, c.connectionId);
    expect(res.error?.data.code).toBe('FORBIDDEN');
  });

  it("another organization's connection is NOT_FOUND, and Twilio is not asked", async () => {
    const c = await connectedNumber();
    const other = await world.organization('Elsewhere');
    const before = world.sim.apiRequests().length;
    const res = await sync(other.owner.cookie, c.connectionId);
    expect(res.error?.data.code).toBe('NOT_FOUND');
    expect(world.sim.apiRequests().length).toBe(before);
    const [row] = await rows(
      'select last_reconciled_at from twilio_whatsapp_connections where id = $1',
      c.connectionId,
    );
    expect(row?.last_reconciled_at).toBeNull();
  });

  it('Twilio refusing the stored credentials is a sentence, and the window is not recorded', async () => {
    const c = await connectedNumber();
    world.sim.injectFault({ operationId: 'ListMessage', status: 401, code: 20003 });
    const res = await sync(c.org.admin.cookie, c.connectionId);
    expect(res.error?.data.code).toBe('PRECONDITION_FAILED');
    expect(res.error?.message).toMatch(/rejected this connection's credentials \(20003\)/);
    expect(res.error?.message).not.toContain(c.account.authToken);
    const [row] = await rows(
      'select last_reconciled_at, reconcile_lease_until from twilio_whatsapp_connections where id = $1',
      c.connectionId,
    );
    expect(row).toEqual({ last_reconciled_at: null, reconcile_lease_until: null });
  });

  it('a stored token that no longer decrypts says to enter it again; Twilio is not asked, the window is not recorded', async () => {
    const c = await connectedNumber();
    // Flip one bit of the ciphertext's body (the envelope's fifth part).
    const [stored] = await rows(
      'select twilio_auth_token_hash from twilio_whatsapp_connections where id = $1',
      c.connectionId,
    );
    const parts = String(stored?.twilio_auth_token_hash).split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    await rows(
      'update twilio_whatsapp_connections set twilio_auth_token_hash = $2 where id = $1',
      c.connectionId,
      parts.join('.'),
    );
    const before = world.sim.apiRequests().length;
    const res = await sync(c.org.admin.cookie, c.connectionId);
    expect(res.error?.data.code).toBe('PRECONDITION_FAILED');
    expect(res.error?.message).toMatch(/Enter the Auth Token again/);
    expect(world.sim.apiRequests().length).toBe(before);
    const [row] = await rows(
      'select last_reconciled_at, reconcile_lease_until from twilio_whatsapp_connections where id = $1',
      c.connectionId,
    );
    expect(row).toEqual({ last_reconciled_at: null, reconcile_lease_until: null });
  });
});

describe('in the background, with no action but the change itself', () => {
  it('re-activating a connection reads back what the customer wrote while it was off', async () => {
    const c = await connectedNumber();
    const off = await world.trpc(
      'mutation',
      'whatsapp.connections.setActive',
      { id: c.connectionId, isActive: false },
      c.org.admin.cookie,
    );
    expect(off.error).toBeUndefined();
    const sid = await writesUnheard(c, { body: 'anyone there?' });
    const on = await world.trpc(
      'mutation',
      'whatsapp.connections.setActive',
      { id: c.connectionId, isActive: true },
      c.org.admin.cookie,
    );
    expect(on.error).toBeUndefined();
    const stored = await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]).toMatchObject({ message_sid: sid, body: 'anyone there?' });
  });

  it('new credentials: what the connection missed is read back with them', async () => {
    const c = await connectedNumber();
    const sid = await writesUnheard(c, { body: 'order #12?' });
    const updated = await world.trpc(
      'mutation',
      'whatsapp.connections.update',
      { id: c.connectionId, authToken: c.account.authToken },
      c.org.owner.cookie,
    );
    expect(updated.error).toBeUndefined();
    const stored = await vi.waitFor(async () => {
      const m = await messagesOf(c.connectionId);
      expect(m).toHaveLength(1);
      return m;
    }, STORED);
    expect(stored[0]).toMatchObject({ message_sid: sid });
    expect((await eventsOf(c.connectionId, sid)).map((e) => e.source)).toEqual(['reconciliation']);
  });
});

describe('unfinished outbound statuses', () => {
  it('are looked up by SID a few minutes after their last change, and a lost final status is stored', async () => {
    const c = await connectedNumber();
    await world.customerWritesThroughTwilio({ to: c.number, from: customer, body: 'hi' });
    const sent = await world.sendHeld(c.org.admin.cookie, {
      connectionId: c.connectionId,
      to: customer,
      body: 'On its way',
    });
    const message = sent.data!;
    Object.assign(world.sim.message(message.messageSid!)!, { status: 'read', dateSent: new Date() });
    const fetches = () =>
      world.sim
        .apiRequests()
        .filter((r) => r.operationId === 'FetchMessage' && r.path.includes(message.messageSid!)).length;
    const reconciliation = world.server.app.services.reconciliation;

    // Too recent: not asked about yet.
    expect(await reconciliation.checkUnfinishedOutbound(60_000)).toBe(0);
    await rows(
      "update twilio_whatsapp_messages set status_updated_at = now() - interval '5 minutes' where id = $1",
      message.id,
    );
    expect(fetches()).toBe(0);
    expect(await reconciliation.checkUnfinishedOutbound(60_000)).toBeGreaterThanOrEqual(1);
    expect(fetches()).toBe(1);
    await world.eventually(c.org.admin.cookie, c.connectionId, message.id, (m) => m.status === 'read');
    // Final now: never asked about again.
    await reconciliation.checkUnfinishedOutbound(0);
    expect(fetches()).toBe(1);
  });
});

describe("Twilio's OpenAPI description", () => {
  it('every request reconciliation sent conforms to it', () => {
    expect(world.sim.oaiViolations()).toEqual([]);
  });
});
