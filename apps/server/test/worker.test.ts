import { describe, expect, it, vi } from 'vitest';
import {
  drainWorker,
  inboundParams,
  inboundPath,
  newMessageSid,
  type SeededConnection,
  seedConnection,
  startWebhookServer,
  statusParams,
  statusPath,
  twilioRequest,
  useWebhookServer,
} from './webhook-helpers.ts';

const server = useWebhookServer(() => ({
  worker: { enabled: false, maxAttempts: 3, unknownSidGraceMs: 60_000 },
}));

async function deliver(path: string, params: Record<string, string>, c: SeededConnection) {
  const res = await server.app.inject(twilioRequest(path, params, c.authToken));
  expect(res.statusCode).toBe(200);
}

/** An outbound message as whatsapp.messages.send leaves it once Twilio answered with its SID. */
async function storeOutbound(c: SeededConnection, sid: string, status = 'queued') {
  await server.sql`
    insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
    values (${c.organizationId}, ${c.id}, ${sid}, 'outbound', 'whatsapp:+14155238886', 'whatsapp:+14155550100', 'Hi', ${status})`;
}

async function messageRow(sid: string) {
  const [row] = await server.sql<
    {
      status: string;
      error_code: number | null;
      error_message: string | null;
      direction: string;
      from_number: string;
      to_number: string;
    }[]
  >`select status, error_code, error_message, direction, from_number, to_number from twilio_whatsapp_messages where message_sid = ${sid}`;
  return row;
}

async function eventsOf(sid: string) {
  return server.sql<{ status: string; attempts: number; error_message: string | null; due_in_ms: number }[]>`
    select status, attempts, error_message,
           (extract(epoch from next_attempt_at - now()) * 1000)::float8 as due_in_ms
    from twilio_whatsapp_webhook_events
    where message_sid = ${sid} order by created_at`;
}

describe('inbound messages', () => {
  it('a NumMedia far beyond what WhatsApp sends does not stall the worker: the media present are kept', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid('MM');
    await deliver(
      inboundPath(c.id),
      inboundParams(sid, {
        NumMedia: '1e300',
        MediaUrl0: 'https://api.twilio.com/media/ME0',
        MediaContentType0: 'image/png',
      }),
      c,
    );
    const started = Date.now();
    await drainWorker(server.app);
    // Reading 1e300 media slots would never end; the cap makes it immediate.
    expect(Date.now() - started).toBeLessThan(5_000);
    const [m] = await server.sql<{ media: unknown }[]>`
      select media from twilio_whatsapp_messages where message_sid = ${sid}`;
    expect(m?.media).toEqual([{ url: 'https://api.twilio.com/media/ME0', contentType: 'image/png' }]);
  });

  it('are stored with body, every media item, profile, WaId, location and button', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid('MM');
    await deliver(
      inboundPath(c.id),
      inboundParams(sid, {
        NumMedia: '2',
        MediaUrl0: 'https://api.twilio.com/media/ME0',
        MediaContentType0: 'image/jpeg',
        MediaUrl1: 'https://api.twilio.com/media/ME1',
        MediaContentType1: 'application/pdf',
        Latitude: '52.5200',
        Longitude: '13.4050',
        Address: 'Unter den Linden 1',
        Label: 'Office',
        ButtonPayload: 'yes-please',
        ButtonText: 'Yes',
      }),
      c,
    );
    await drainWorker(server.app);
    const [m] = await server.sql`select * from twilio_whatsapp_messages where message_sid = ${sid}`;
    expect(m).toMatchObject({
      organization_id: c.organizationId,
      connection_id: c.id,
      direction: 'inbound',
      status: 'received',
      from_number: 'whatsapp:+14155550100',
      to_number: 'whatsapp:+14155238886',
      body: 'Hello 👋 & welcome',
      profile_name: 'Ada',
      wa_id: '14155550100',
      media: [
        { url: 'https://api.twilio.com/media/ME0', contentType: 'image/jpeg' },
        { url: 'https://api.twilio.com/media/ME1', contentType: 'application/pdf' },
      ],
      latitude: 52.52,
      longitude: 13.405,
      location_address: 'Unter den Linden 1',
      location_label: 'Office',
      button_payload: 'yes-please',
      button_text: 'Yes',
    });
    const [event] = await eventsOf(sid);
    expect(event).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it("are dated when stored even if the signed payload carries a DateCreated (only reconciliation's events carry Twilio's time)", async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid('SM');
    const before = Date.now();
    // Twilio's inbound webhook has no DateCreated; whoever holds the token could add one
    // to move the message (and its 24-hour window) back in time.
    await deliver(inboundPath(c.id), inboundParams(sid, { DateCreated: '2020-01-01T00:00:00.000Z' }), c);
    await drainWorker(server.app);
    const [m] = await server.sql<{ created_at: string }[]>`
      select created_at::text from twilio_whatsapp_messages where message_sid = ${sid}`;
    expect(new Date(m!.created_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('status callbacks', () => {
  for (const order of [
    ['sent', 'delivered', 'read'],
    ['read', 'delivered', 'sent'],
    ['delivered', 'read', 'sent'],
  ]) {
    it(`${order.join(', ')}: three events, final status read`, async () => {
      const c = await seedConnection(server.sql, server.vault);
      const sid = newMessageSid();
      await storeOutbound(c, sid);
      for (const status of order) {
        await deliver(statusPath(c.id), statusParams(sid, status), c);
        // Applied one at a time, so a later callback really meets the earlier state.
        await drainWorker(server.app);
      }
      expect((await eventsOf(sid)).map((e) => e.status)).toEqual(['processed', 'processed', 'processed']);
      expect((await messageRow(sid))?.status).toBe('read');
    });
  }

  it('all in one batch, in reverse order, still ends at read', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    await storeOutbound(c, sid);
    for (const status of ['read', 'delivered', 'sent', 'queued']) {
      await deliver(statusPath(c.id), statusParams(sid, status), c);
    }
    await drainWorker(server.app);
    expect((await messageRow(sid))?.status).toBe('read');
  });

  it('failed keeps ErrorCode and ErrorMessage, and a late sent does not undo it', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    await storeOutbound(c, sid);
    await deliver(
      statusPath(c.id),
      statusParams(sid, 'failed', { ErrorCode: '63016', ErrorMessage: 'Outside the window' }),
      c,
    );
    await deliver(statusPath(c.id), statusParams(sid, 'sent'), c);
    await drainWorker(server.app);
    expect(await messageRow(sid)).toMatchObject({
      status: 'failed',
      error_code: 63016,
      error_message: 'Outside the window',
    });
  });

  it("never touches another connection's message with the same MessageSid", async () => {
    const owner = await seedConnection(server.sql, server.vault);
    const intruder = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    await storeOutbound(owner, sid);
    await deliver(statusPath(intruder.id), statusParams(sid, 'read'), intruder);
    await drainWorker(server.app);
    expect((await messageRow(sid))?.status).toBe('queued');
  });

  it('for a MessageSid not stored yet waits, then applies once the send stored it', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    await deliver(statusPath(c.id), statusParams(sid, 'delivered'), c);
    await drainWorker(server.app);
    const [waiting] = await eventsOf(sid);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(waiting!.due_in_ms).toBeGreaterThan(0);
    await storeOutbound(c, sid);
    await server.sql`update twilio_whatsapp_webhook_events set next_attempt_at = now() where message_sid = ${sid}`;
    await drainWorker(server.app);
    expect((await messageRow(sid))?.status).toBe('delivered');
    expect((await eventsOf(sid))[0]?.status).toBe('processed');
  });

  it('for a MessageSid still unknown after the grace period records the message from the callback', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    await deliver(statusPath(c.id), statusParams(sid, 'sent'), c);
    await drainWorker(server.app);
    expect(await messageRow(sid)).toBeUndefined();
    await server.sql`
      update twilio_whatsapp_webhook_events set created_at = now() - interval '2 minutes', next_attempt_at = now()
      where message_sid = ${sid}`;
    await drainWorker(server.app);
    expect(await messageRow(sid)).toMatchObject({
      status: 'sent',
      direction: 'outbound',
      from_number: 'whatsapp:+14155238886',
      to_number: 'whatsapp:+14155550100',
    });
  });
});

describe('status callbacks for a send whose SID was never stored (Twilio timed out, or storing it failed)', () => {
  /** What whatsapp.messages.send leaves when Twilio's answer was lost: queued, no SID. */
  async function storeSidLessSend(c: SeededConnection, options: { to?: string; age?: string } = {}) {
    const [row] = await server.sql<{ id: string }[]>`
      insert into twilio_whatsapp_messages
        (organization_id, connection_id, direction, from_number, to_number, body, status, created_at)
      values (${c.organizationId}, ${c.id}, 'outbound', 'whatsapp:+14155238886',
              ${options.to ?? 'whatsapp:+14155550100'}, 'Lost answer', 'queued',
              now() - ${options.age ?? '1 minute'}::interval)
      returning id`;
    return row!.id;
  }

  async function pastGracePeriod(sid: string) {
    await drainWorker(server.app);
    await server.sql`
      update twilio_whatsapp_webhook_events set created_at = now() - interval '2 minutes', next_attempt_at = now()
      where message_sid = ${sid}`;
    await drainWorker(server.app);
  }

  const rowsOf = (c: SeededConnection) =>
    server.sql<{ id: string; message_sid: string | null; status: string; body: string | null }[]>`
      select id, message_sid, status, body from twilio_whatsapp_messages where connection_id = ${c.id} order by created_at`;

  it('the single SID-less queued row to the same recipient takes the SID: no second, body-less row', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const id = await storeSidLessSend(c);
    const sid = newMessageSid();
    for (const status of ['sent', 'delivered']) await deliver(statusPath(c.id), statusParams(sid, status), c);
    await pastGracePeriod(sid);
    expect(await rowsOf(c)).toEqual([{ id, message_sid: sid, status: 'delivered', body: 'Lost answer' }]);
  });

  it('with two candidates nothing is guessed: the callback is recorded as its own message', async () => {
    const c = await seedConnection(server.sql, server.vault);
    await storeSidLessSend(c);
    await storeSidLessSend(c);
    const sid = newMessageSid();
    await deliver(statusPath(c.id), statusParams(sid, 'sent'), c);
    await pastGracePeriod(sid);
    const rows = await rowsOf(c);
    expect(rows.map((r) => r.message_sid).sort()).toEqual([null, null, sid].sort());
    expect(rows.find((r) => r.message_sid === sid)?.body).toBeNull();
  });

  it('a row to another recipient, or older than an hour, is not adopted', async () => {
    const c = await seedConnection(server.sql, server.vault);
    await storeSidLessSend(c, { to: 'whatsapp:+14155550199' });
    await storeSidLessSend(c, { age: '2 hours' });
    const sid = newMessageSid();
    await deliver(statusPath(c.id), statusParams(sid, 'sent'), c);
    await pastGracePeriod(sid);
    const rows = await rowsOf(c);
    expect(rows.filter((r) => r.message_sid === null)).toHaveLength(2);
    expect(rows.find((r) => r.message_sid === sid)?.body).toBeNull();
  });
  it('a row younger than the adoption window (Twilio may still answer it with its own SID) is not adopted: the callback waits', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const id = await storeSidLessSend(c, { age: '10 seconds' });
    const sid = newMessageSid();
    await deliver(statusPath(c.id), statusParams(sid, 'sent'), c);
    await pastGracePeriod(sid);
    expect(await rowsOf(c)).toEqual([{ id, message_sid: null, status: 'queued', body: 'Lost answer' }]);
    expect((await eventsOf(sid))[0]).toMatchObject({ status: 'pending', attempts: 0 });

    // Once past the window without an answer of its own, the row is adopted.
    await server.sql`update twilio_whatsapp_messages set created_at = now() - interval '1 minute' where id = ${id}`;
    await server.sql`update twilio_whatsapp_webhook_events set next_attempt_at = now() where message_sid = ${sid}`;
    await drainWorker(server.app);
    expect(await rowsOf(c)).toEqual([{ id, message_sid: sid, status: 'sent', body: 'Lost answer' }]);
  });
});

describe('failures', () => {
  it('are retried with backoff, then marked failed with the error; other events in the batch go through', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const broken = newMessageSid();
    const params = inboundParams(broken);
    delete (params as Partial<typeof params>).From;
    await deliver(inboundPath(c.id), params, c);
    const good = newMessageSid();
    await deliver(inboundPath(c.id), inboundParams(good), c);

    await drainWorker(server.app);
    expect((await messageRow(good))?.direction).toBe('inbound');
    const [first] = await eventsOf(broken);
    expect(first).toMatchObject({
      status: 'pending',
      attempts: 1,
      error_message: 'inbound message without From or To',
    });
    // First retry about a second later.
    expect(first!.due_in_ms).toBeGreaterThan(500);

    for (let attempt = 2; attempt <= 3; attempt++) {
      await server.sql`update twilio_whatsapp_webhook_events set next_attempt_at = now() where message_sid = ${broken}`;
      await drainWorker(server.app);
    }
    expect((await eventsOf(broken))[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await messageRow(broken)).toBeUndefined();
  });
});

describe('pruning', () => {
  it('deletes processed events after 30 days and failed ones after 90; pending ones stay', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const insert = (sid: string, status: string, ageDays: number) => server.sql`
      insert into twilio_whatsapp_webhook_events
        (connection_id, message_sid, event_type, idempotency_key, payload, status, processed_at, created_at, next_attempt_at)
      values (${c.id}, ${sid}, 'message', ${`message:${sid}`}, '{}'::jsonb, ${status},
              case when ${status} = 'pending' then null else now() - ${ageDays} * interval '1 day' end,
              now() - ${ageDays} * interval '1 day', now() + interval '1 day')`;
    await insert('SMold', 'processed', 31);
    await insert('SMrecent', 'processed', 29);
    await insert('SMfailedold', 'failed', 91);
    await insert('SMfailed', 'failed', 31);
    await insert('SMpending', 'pending', 120);
    await server.app.webhookWorker.prune();
    const left = await server.sql<{ message_sid: string }[]>`
      select message_sid from twilio_whatsapp_webhook_events where connection_id = ${c.id} order by 1`;
    expect(left.map((r) => r.message_sid)).toEqual(['SMfailed', 'SMpending', 'SMrecent']);
  });
});

describe('pruning sends Twilio never confirmed', () => {
  it('marks outbound rows queued without a SID for over an hour failed; younger, SID-holding and inbound rows stay', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const insert = (body: string, age: string, sid: string | null = null, direction = 'outbound') =>
      server.sql`
        insert into twilio_whatsapp_messages
          (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status, created_at)
        values (${c.organizationId}, ${c.id}, ${sid}, ${direction}, 'whatsapp:+14155238886',
                'whatsapp:+14155550100', ${body}, 'queued', now() - ${age}::interval)`;
    await insert('lost', '61 minutes');
    await insert('in flight', '59 minutes');
    await insert('confirmed', '2 hours', newMessageSid());
    await insert('inbound', '2 hours', null, 'inbound');
    await server.app.webhookWorker.prune();
    const rows = await server.sql<
      { body: string; status: string; error_code: number | null; error_message: string | null }[]
    >`
      select body, status, error_code, error_message from twilio_whatsapp_messages
      where connection_id = ${c.id} order by body`;
    expect(rows).toEqual([
      { body: 'confirmed', status: 'queued', error_code: null, error_message: null },
      { body: 'in flight', status: 'queued', error_code: null, error_message: null },
      { body: 'inbound', status: 'queued', error_code: null, error_message: null },
      {
        body: 'lost',
        status: 'failed',
        error_code: null,
        error_message: 'Twilio did not confirm this message; it was probably not sent.',
      },
    ]);
  });
});

describe('the running worker', () => {
  it('is woken by NOTIFY after commit (no poll needed) and reports processing lag', async () => {
    const running = await startWebhookServer(server.db, server.databaseUrl, {
      worker: { enabled: true, pollIntervalMs: 600_000 },
    });
    try {
      const c = await seedConnection(server.sql, server.vault);
      const sid = newMessageSid();
      const res = await running.app.inject(twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken));
      expect(res.statusCode).toBe(200);
      await vi.waitFor(async () => expect((await messageRow(sid))?.direction).toBe('inbound'), {
        timeout: 3_000,
        interval: 20,
      });
      const metrics = (await running.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/twilio_webhook_processing_lag_seconds_count [1-9]/);
      expect(metrics).toMatch(/twilio_webhook_worker_events_total\{outcome="processed"\} [1-9]/);
    } finally {
      await running.close();
    }
  });
});

describe('the running worker under a stream of deliveries', () => {
  it('applies a lone delivery at once and gathers the next ones into one later transaction', async () => {
    const coalesceMs = 1_500;
    const running = await startWebhookServer(server.db, server.databaseUrl, {
      worker: { enabled: true, pollIntervalMs: 600_000, coalesceMs },
    });
    const eventTimes = (sid: string) =>
      server.sql<{ created_ms: number; processed_ms: number | null }[]>`
        select (extract(epoch from created_at) * 1000)::float8 as created_ms,
               (extract(epoch from processed_at) * 1000)::float8 as processed_ms
        from twilio_whatsapp_webhook_events where message_sid = ${sid}`;
    try {
      const c = await seedConnection(server.sql, server.vault);
      const post = async (sid: string) => {
        const res = await running.app.inject(
          twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken),
        );
        expect(res.statusCode).toBe(200);
      };
      // The worker's first run (at start) is over and its window has passed: quiet.
      await new Promise((r) => setTimeout(r, coalesceMs + 100));

      const lone = newMessageSid();
      await post(lone);
      await vi.waitFor(async () => expect((await eventTimes(lone))[0]?.processed_ms).not.toBeNull(), {
        timeout: 5_000,
        interval: 20,
      });
      const [first] = await eventTimes(lone);
      // Applied by the wake its NOTIFY caused, not after a coalescing wait.
      expect(first!.processed_ms! - first!.created_ms).toBeLessThan(coalesceMs);

      // Two more right after that run: they wait for the window and go in one transaction.
      const [second, third] = [newMessageSid(), newMessageSid()];
      await post(second);
      await post(third);
      await vi.waitFor(
        async () => {
          expect((await eventTimes(second))[0]?.processed_ms).not.toBeNull();
          expect((await eventTimes(third))[0]?.processed_ms).not.toBeNull();
        },
        { timeout: 10_000, interval: 50 },
      );
      const [[b], [d]] = await Promise.all([eventTimes(second), eventTimes(third)]);
      // now() is the transaction's start: equal processed_at, one transaction.
      expect(b!.processed_ms).toBe(d!.processed_ms);
      expect(b!.processed_ms! - first!.processed_ms!).toBeGreaterThanOrEqual(coalesceMs);
      expect((await messageRow(third))?.direction).toBe('inbound');
    } finally {
      await running.close();
    }
  });
});
