import { randomUUID } from 'node:crypto';
import type { DeliverySummary, WebhookEvent } from '@app/contracts';
import { pruneDeliveryLog, ServiceRole } from '@app/db';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type SignedInOrganization,
  signUpOrganization,
  TEST_PUBLIC_URL,
  type TestClient,
  useTestServer,
} from './helpers.ts';
import {
  disconnectInDatabase,
  drainWorker,
  inboundParams,
  inboundPath,
  newMessageSid,
  type SeededConnection,
  seedConnection,
  statusParams,
  statusPath,
  twilioRequest,
} from './webhook-helpers.ts';

// The delivery log: what the intake counted and refused, the stored events with their
// outcome (filtered, paged), and the retry of a failed event. Deliveries are signed
// the way Twilio signs them (twilioRequest), against this server's public URL.

const server = useTestServer(() => ({ worker: { enabled: false } }));
const sql = () => server.db.$client;

let acme: SignedInOrganization;
let admin: TestClient;
let member: TestClient;
let rival: SignedInOrganization;

beforeAll(async () => {
  acme = await signUpOrganization(server, 'Acme');
  admin = await acme.addPerson('admin');
  member = await acme.addPerson('member');
  rival = await signUpOrganization(server, 'Rival');
});

const signed = (path: string, params: Record<string, string>, token: string): InjectOptions =>
  twilioRequest(path, params, token, { publicUrl: TEST_PUBLIC_URL });

const post = (request: InjectOptions, ip = '203.0.113.7') =>
  server.app.inject({ ...request, remoteAddress: ip });

function unsigned(request: InjectOptions): InjectOptions {
  const { 'x-twilio-signature': _dropped, ...headers } = request.headers as Record<string, string>;
  return { ...request, headers };
}

async function connectionOf(organizationId: string): Promise<SeededConnection> {
  return seedConnection(sql(), server.vault, { organizationId });
}

async function summaryOf(client: TestClient, connectionId: string) {
  return client.query<DeliverySummary>('whatsapp.events.summary', { connectionId });
}

describe('verdict counts', () => {
  it('match a scripted mix of good, repeated, forged, unsigned and unknown deliveries', async () => {
    const c = await connectionOf(acme.organizationId);
    const gone = await connectionOf(acme.organizationId);
    await disconnectInDatabase(sql(), gone.id);

    const sids = [newMessageSid(), newMessageSid(), newMessageSid()];
    // 3 good inbound + 1 good status
    for (const sid of sids)
      expect((await post(signed(inboundPath(c.id), inboundParams(sid), c.authToken))).statusCode).toBe(200);
    expect(
      (await post(signed(statusPath(c.id), statusParams(sids[0]!, 'delivered'), c.authToken))).statusCode,
    ).toBe(200);
    // 2 repeated
    for (const sid of sids.slice(0, 2))
      expect((await post(signed(inboundPath(c.id), inboundParams(sid), c.authToken))).statusCode).toBe(200);
    // 4 forged: signed with another token
    for (let i = 0; i < 4; i++)
      expect(
        (
          await post(
            signed(inboundPath(c.id), inboundParams(newMessageSid()), 'f'.repeat(32)),
            '198.51.100.9',
          )
        ).statusCode,
      ).toBe(403);
    // 1 forged status callback
    expect(
      (await post(signed(statusPath(c.id), statusParams(sids[1]!, 'read'), 'e'.repeat(32)), '198.51.100.9'))
        .statusCode,
    ).toBe(403);
    // 2 unsigned
    for (let i = 0; i < 2; i++)
      expect(
        (await post(unsigned(signed(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken))))
          .statusCode,
      ).toBe(400);
    // 3 to the disconnected connection (its organization's), 2 to ids that name nothing
    for (let i = 0; i < 3; i++)
      expect(
        (await post(signed(inboundPath(gone.id), inboundParams(newMessageSid()), gone.authToken))).statusCode,
      ).toBe(404);
    for (const id of [randomUUID(), 'not-a-uuid'])
      expect(
        (await post(signed(inboundPath(id), inboundParams(newMessageSid()), c.authToken))).statusCode,
      ).toBe(404);

    await server.app.webhookDeliveryLog.flush();

    const summary = await summaryOf(acme.owner, c.id);
    expect(summary.error).toBeUndefined();
    expect(summary.data.counts).toEqual({
      accepted: 4,
      repeated: 2,
      badSignature: 5,
      missingSignature: 2,
      unknownConnection: 0,
      processingFailed: 0,
      recovered: 0,
    });
    // Newest first; each with its route, address and reason.
    expect(summary.data.refused.map((r) => r.verdict)).toEqual([
      'missingSignature',
      'missingSignature',
      'badSignature',
      'badSignature',
      'badSignature',
      'badSignature',
      'badSignature',
    ]);
    expect(summary.data.refused[2]).toMatchObject({
      verdict: 'badSignature',
      eventType: 'status',
      sourceIp: '198.51.100.9',
      reason: expect.stringContaining('Auth Token'),
    });
    expect(summary.data.refused[0]).toMatchObject({ eventType: 'message', sourceIp: '203.0.113.7' });

    const goneSummary = await summaryOf(admin, gone.id);
    expect(goneSummary.data.counts.unknownConnection).toBe(3);
    expect(goneSummary.data.refused.map((r) => r.verdict)).toEqual(Array(3).fill('unknownConnection'));
    // The deliveries to ids that name no connection did not fail the flush (the counts
    // above were written by it); the tables' foreign keys leave them no row to be in.
  });

  it('two spellings of one connection id count as one connection', async () => {
    const c = await connectionOf(acme.organizationId);
    for (const id of [c.id, c.id.toUpperCase(), c.id])
      expect(
        (await post(unsigned(signed(inboundPath(id), inboundParams(newMessageSid()), c.authToken))))
          .statusCode,
      ).toBe(400);
    // A disconnected connection's deliveries are tallied by the URL's id as spelled.
    const gone = await connectionOf(acme.organizationId);
    await disconnectInDatabase(sql(), gone.id);
    for (const id of [gone.id, gone.id.toUpperCase(), gone.id])
      expect(
        (await post(signed(inboundPath(id), inboundParams(newMessageSid()), gone.authToken))).statusCode,
      ).toBe(404);
    await server.app.webhookDeliveryLog.flush();
    expect((await summaryOf(admin, c.id)).data.counts.missingSignature).toBe(3);
    expect((await summaryOf(admin, gone.id)).data.counts.unknownConnection).toBe(3);
  });

  it('processing failures and recovered events are counted from the stored events', async () => {
    const c = await connectionOf(acme.organizationId);
    await sql()`
      insert into twilio_whatsapp_webhook_events
        (connection_id, message_sid, event_type, idempotency_key, payload, status, processed_at, source)
      values
        (${c.id}, 'SMfailed1', 'message', 'message:SMfailed1', '{}', 'failed', now(), 'webhook'),
        (${c.id}, 'SMrecov1', 'message', 'message:SMrecov1', '{}', 'processed', now(), 'reconciliation'),
        (${c.id}, 'SMold1', 'message', 'message:SMold1', '{}', 'failed', now() - interval '2 days', 'webhook')`;
    const summary = await summaryOf(admin, c.id);
    expect(summary.data.counts).toMatchObject({ processingFailed: 1, recovered: 1 });
  });

  it('never keeps a body, a signature or a token of a refused delivery', async () => {
    const c = await connectionOf(acme.organizationId);
    const forgedToken = `forged${'9'.repeat(26)}`;
    const request = signed(
      inboundPath(c.id),
      inboundParams(newMessageSid(), { Body: 'secret body text' }),
      forgedToken,
    );
    const signature = (request.headers as Record<string, string>)['x-twilio-signature']!;
    expect((await post(request)).statusCode).toBe(403);
    await server.app.webhookDeliveryLog.flush();
    const rows = await sql()`select * from twilio_whatsapp_refused_deliveries where connection_id = ${c.id}`;
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    for (const secret of ['secret body text', signature, forgedToken, c.authToken])
      expect(stored).not.toContain(secret);
  });

  it('members and other organizations read no counts: FORBIDDEN and NOT_FOUND', async () => {
    const c = await connectionOf(acme.organizationId);
    expect((await summaryOf(member, c.id)).error?.code).toBe('FORBIDDEN');
    expect((await summaryOf(rival.owner, c.id)).error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such WhatsApp connection in your organization.',
    });
  });
});

describe('refused deliveries kept', () => {
  it('the last 50 of each connection are kept; pruning deletes older ones and old counts', async () => {
    const c = await connectionOf(acme.organizationId);
    const other = await connectionOf(acme.organizationId);
    for (let i = 0; i < 55; i++)
      await post(
        unsigned(signed(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken)),
        `192.0.2.${i}`,
      );
    await post(unsigned(signed(inboundPath(other.id), inboundParams(newMessageSid()), other.authToken)));
    await server.app.webhookDeliveryLog.flush();
    // A count from 8 days ago, beyond the 7 days kept.
    await sql()`insert into twilio_whatsapp_delivery_counts (connection_id, minute, verdict, count)
      values (${c.id}, date_trunc('minute', now() - interval '8 days'), 'accepted', 3)`;

    await server.app.webhookDeliveryLog.prune();

    const kept = await sql()<{ source_ip: string }[]>`
      select source_ip from twilio_whatsapp_refused_deliveries where connection_id = ${c.id}
      order by received_at desc, id desc`;
    expect(kept).toHaveLength(50);
    // The newest ones (the last addresses) stayed.
    expect(kept[0]!.source_ip).toBe('192.0.2.54');
    expect(kept.map((r) => r.source_ip)).not.toContain('192.0.2.4');
    const [otherKept] = await sql()<{ n: number }[]>`
      select count(*)::int as n from twilio_whatsapp_refused_deliveries where connection_id = ${other.id}`;
    expect(otherKept!.n).toBe(1);
    const [old] = await sql()<{ n: number }[]>`
      select count(*)::int as n from twilio_whatsapp_delivery_counts
      where connection_id = ${c.id} and minute < now() - interval '7 days'`;
    expect(old!.n).toBe(0);
    // All 55 were counted, whatever the list keeps.
    expect((await summaryOf(admin, c.id)).data.counts.missingSignature).toBe(55);
  });

  it('deliveries refused within one millisecond keep the order they arrived in', async () => {
    const c = await connectionOf(acme.organizationId);
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      for (let i = 1; i <= 3; i++)
        await post(
          unsigned(signed(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken)),
          `198.51.100.${i}`,
        );
    } finally {
      now.mockRestore();
    }
    await server.app.webhookDeliveryLog.flush();
    const rows = await sql()<{ source_ip: string }[]>`
      select source_ip from twilio_whatsapp_refused_deliveries where connection_id = ${c.id}
      order by received_at desc, id desc`;
    expect(rows.map((r) => r.source_ip)).toEqual(['198.51.100.3', '198.51.100.2', '198.51.100.1']);
    // By their times, not by the ids that would break a tie.
    const times = await sql()<{ t: string }[]>`
      select received_at::text as t from twilio_whatsapp_refused_deliveries where connection_id = ${c.id}
      order by source_ip`;
    expect(new Set(times.map((r) => r.t)).size).toBe(3);
    expect(times.map((r) => r.t)).toEqual([...times.map((r) => r.t)].sort());
  });

  it("each flush adds to the minute's row; a prune while another process prunes deletes nothing", async () => {
    const c = await connectionOf(acme.organizationId);
    const serviceRole = ServiceRole.openPool(server.databaseUrl);
    // One minute for all three deliveries, whenever the test runs.
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      for (let i = 0; i < 2; i++)
        await post(unsigned(signed(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken)));
      await server.app.webhookDeliveryLog.flush();
      await post(unsigned(signed(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken)));
      await server.app.webhookDeliveryLog.flush();
      // Prune with a lock held elsewhere changes nothing.
      await serviceRole.transaction(async (tx) => {
        await tx`select pg_advisory_xact_lock(7310442013)`;
        const other = ServiceRole.openPool(server.databaseUrl);
        try {
          expect(await other.transaction((t) => pruneDeliveryLog(t, { countsMs: 0 }))).toEqual({
            counts: 0,
            refused: 0,
          });
        } finally {
          await other.close();
        }
      });
    } finally {
      now.mockRestore();
      await serviceRole.close();
    }
    expect((await summaryOf(admin, c.id)).data.counts.missingSignature).toBe(3);
    // Added to the minute's one row, not a row per flush.
    const counted = await sql()<{ count: number }[]>`
      select count from twilio_whatsapp_delivery_counts where connection_id = ${c.id}`;
    expect(counted).toEqual([{ count: 3 }]);
  });
});

describe('the log: filters and paging', () => {
  it('lists newest first, filters by outcome, source and type, and pages with before', async () => {
    const c = await connectionOf(acme.organizationId);
    const sids = Array.from({ length: 5 }, () => newMessageSid());
    for (const sid of sids) await post(signed(inboundPath(c.id), inboundParams(sid), c.authToken));
    await post(signed(statusPath(c.id), statusParams(sids[0]!, 'read'), c.authToken));
    await drainWorker(server.app);
    const broken = newMessageSid();
    const params = inboundParams(broken);
    delete (params as Partial<typeof params>).From;
    await post(signed(inboundPath(c.id), params, c.authToken));
    await drainWorker(server.app);

    const all = await admin.query<WebhookEvent[]>('whatsapp.events.list', { connectionId: c.id });
    expect(all.data).toHaveLength(7);
    expect(all.data[0]).toMatchObject({ messageSid: broken, outcome: 'retrying', status: 'pending' });
    expect(all.data[0]!.nextAttemptAt).not.toBeNull();
    expect(all.data[0]!.errorMessage).toBe('inbound message without From or To');

    const statuses = await admin.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: c.id,
      eventType: 'status',
    });
    expect(statuses.data.map((e) => e.messageStatus)).toEqual(['read']);
    const retrying = await admin.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: c.id,
      outcome: 'retrying',
    });
    expect(retrying.data.map((e) => e.messageSid)).toEqual([broken]);
    const applied = await admin.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: c.id,
      outcome: 'applied',
      source: 'webhook',
    });
    expect(applied.data).toHaveLength(6);
    expect(applied.data.every((e) => e.outcome === 'applied' && e.nextAttemptAt === null)).toBe(true);
    expect(
      (
        await admin.query<WebhookEvent[]>('whatsapp.events.list', {
          connectionId: c.id,
          source: 'reconciliation',
        })
      ).data,
    ).toEqual([]);

    // Paging: three pages of 3, 3, 1; together the whole list, in order, no repeats.
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await admin.query<WebhookEvent[]>('whatsapp.events.list', {
        connectionId: c.id,
        limit: 3,
        ...(before ? { before } : {}),
      });
      seen.push(...page.data.map((e) => e.id));
      if (page.data.length < 3) break;
      before = page.data.at(-1)!.id;
    }
    expect(seen).toEqual(all.data.map((e) => e.id));

    // A page after another organization's event is empty, not theirs.
    const theirs = await connectionOf(rival.organizationId);
    await post(signed(inboundPath(theirs.id), inboundParams(newMessageSid()), theirs.authToken));
    const [rivalEvent] = await sql()<{ id: string }[]>`
      select id from twilio_whatsapp_webhook_events where connection_id = ${theirs.id}`;
    const sneaky = await admin.query<WebhookEvent[]>('whatsapp.events.list', {
      connectionId: c.id,
      before: rivalEvent!.id,
    });
    expect(sneaky.data).toEqual([]);
  });

  it('a bad filter gets a clear error', async () => {
    const c = await connectionOf(acme.organizationId);
    const res = await admin.query('whatsapp.events.list', { connectionId: c.id, outcome: 'exploded' });
    expect(res.error?.code).toBe('BAD_REQUEST');
    const cursor = await admin.query('whatsapp.events.list', { connectionId: c.id, before: 'x' });
    expect(cursor.error?.message).toBe('That event id is not valid.');
  });
});

describe('retry', () => {
  /** A stored inbound event the worker gave up on (say, a fault of ours since fixed). */
  async function failedEvent(c: SeededConnection) {
    const sid = newMessageSid();
    await post(signed(inboundPath(c.id), inboundParams(sid), c.authToken));
    const [row] = await sql()<{ id: string }[]>`
      update twilio_whatsapp_webhook_events
      set status = 'failed', attempts = 5, processed_at = now(), error_message = 'database timeout'
      where message_sid = ${sid} returning id`;
    return { id: row!.id, sid };
  }

  it('a failed event retried by an admin goes back to the worker and is applied, recorded with who and when', async () => {
    const c = await connectionOf(acme.organizationId);
    const { id, sid } = await failedEvent(c);
    const res = await admin.mutation<WebhookEvent>('whatsapp.events.retry', { id });
    expect(res.error).toBeUndefined();
    expect(res.data).toMatchObject({ id, status: 'pending', outcome: 'pending', attempts: 0 });
    expect(res.data.retriedBy).toMatch(/^admin-/);
    expect(Date.parse(res.data.retriedAt!)).toBeGreaterThan(Date.now() - 60_000);

    await drainWorker(server.app);
    const [message] = await sql()`select direction from twilio_whatsapp_messages where message_sid = ${sid}`;
    expect(message).toMatchObject({ direction: 'inbound' });
    const [event] = await admin
      .query<WebhookEvent[]>('whatsapp.events.list', { connectionId: c.id })
      .then((r) => r.data);
    expect(event).toMatchObject({ id, outcome: 'applied', retriedBy: res.data.retriedBy });
    expect((await summaryOf(admin, c.id)).data.counts.processingFailed).toBe(0);
  });

  it('a member cannot retry (FORBIDDEN), and the event stays failed', async () => {
    const c = await connectionOf(acme.organizationId);
    const { id } = await failedEvent(c);
    const res = await member.mutation('whatsapp.events.retry', { id });
    expect(res.error?.code).toBe('FORBIDDEN');
    const [row] = await sql()`select status, retried_by from twilio_whatsapp_webhook_events where id = ${id}`;
    expect(row).toEqual({ status: 'failed', retried_by: null });
  });

  it("another organization's event is NOT_FOUND, and stays failed", async () => {
    const c = await connectionOf(acme.organizationId);
    const { id } = await failedEvent(c);
    const res = await rival.owner.mutation('whatsapp.events.retry', { id });
    expect(res.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such webhook event in your organization.',
    });
    expect((await admin.mutation('whatsapp.events.retry', { id: randomUUID() })).error?.code).toBe(
      'NOT_FOUND',
    );
    const [row] = await sql()`select status from twilio_whatsapp_webhook_events where id = ${id}`;
    expect(row).toEqual({ status: 'failed' });
  });

  it('an event that has not failed gets a clear BAD_REQUEST', async () => {
    const c = await connectionOf(acme.organizationId);
    const sid = newMessageSid();
    await post(signed(inboundPath(c.id), inboundParams(sid), c.authToken));
    const [row] = await sql()<
      { id: string }[]
    >`select id from twilio_whatsapp_webhook_events where message_sid = ${sid}`;
    const pending = await acme.owner.mutation('whatsapp.events.retry', { id: row!.id });
    expect(pending.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Only a failed event can be retried; this one is waiting for the worker already.',
    });
    await drainWorker(server.app);
    const applied = await acme.owner.mutation('whatsapp.events.retry', { id: row!.id });
    expect(applied.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Only a failed event can be retried; this one is already applied.',
    });
  });
});
