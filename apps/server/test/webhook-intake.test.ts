import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createDatabase } from '@app/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  countEvents,
  countMessages,
  disconnectInDatabase,
  drainWorker,
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  startWebhookServer,
  statusParams,
  statusPath,
  twilioRequest,
  useWebhookServer,
  type WebhookServer,
} from './webhook-helpers.ts';

const server = useWebhookServer();

async function expectHealthy() {
  const res = await server.app.inject({ method: 'GET', url: '/healthz' });
  expect(res.statusCode).toBe(200);
}

describe('idempotent intake', () => {
  it('50 concurrent copies of one delivery store one event and, once applied, one message', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const request = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
    const answers = await Promise.all(Array.from({ length: 50 }, () => server.app.inject(request)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(200));
    expect(await countEvents(server.sql, c.id)).toBe(1);
    await drainWorker(server.app);
    expect(await countMessages(server.sql, c.id)).toBe(1);
  });

  it('a replayed status callback is answered 200 and stored once; each new status is stored', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const sid = newMessageSid();
    for (const status of ['sent', 'sent', 'delivered', 'sent', 'delivered']) {
      const res = await server.app.inject(
        twilioRequest(statusPath(c.id), statusParams(sid, status), c.authToken),
      );
      expect(res.statusCode).toBe(200);
    }
    const keys = await server.sql<{ idempotency_key: string }[]>`
      select idempotency_key from twilio_whatsapp_webhook_events where connection_id = ${c.id} order by 1`;
    expect(keys.map((k) => k.idempotency_key)).toEqual([`status:${sid}:delivered`, `status:${sid}:sent`]);
  });

  it('concurrent deliveries are stored with their exact parameters, whatever characters they hold', async () => {
    const c = await seedConnection(server.sql, server.vault);
    // Quotes, backslashes, control characters (the batch's separator among them),
    // emoji and JSON-looking text: each must come back exactly as signed.
    const bodies = [
      'plain',
      'say "hi" \\ back',
      'tab\there\u001erecord\u001fsep',
      '👋 ünïcode',
      '{"json":[1]}',
    ];
    const sids = bodies.map(() => newMessageSid());
    const answers = await Promise.all(
      bodies.map((body, i) =>
        server.app.inject(
          twilioRequest(inboundPath(c.id), inboundParams(sids[i]!, { Body: body }), c.authToken),
        ),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(bodies.map(() => 200));
    const rows = await server.sql<{ message_sid: string; payload: Record<string, unknown> }[]>`
      select message_sid, payload from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
    for (const [i, body] of bodies.entries()) {
      const row = rows.find((r) => r.message_sid === sids[i]);
      expect(row?.payload).toEqual({ ...inboundParams(sids[i]!, { Body: body }) });
    }
  });

  it('deliveries are counted by outcome on /metrics', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const request = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
    const before = await metric('twilio_webhook_deliveries_total{outcome="duplicate",route="message"}');
    await server.app.inject(request);
    await server.app.inject(request);
    await server.app.inject({ ...request, url: inboundPath(randomUUID()) });
    expect(await metric('twilio_webhook_deliveries_total{outcome="duplicate",route="message"}')).toBe(
      before + 1,
    );
    expect(
      await metric('twilio_webhook_deliveries_total{outcome="not_found",route="message"}'),
    ).toBeGreaterThan(0);
    const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/twilio_webhook_events_pending \d+/);
  });
});

async function metric(series: string): Promise<number> {
  const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('bad input is refused, nothing is stored, and the server stays healthy', () => {
  it('other content types get 415', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const ok = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
    const signature = (ok.headers as Record<string, string>)['x-twilio-signature']!;
    for (const [type, payload] of [
      ['application/json', JSON.stringify(inboundParams(newMessageSid()))],
      ['text/plain', 'MessageSid=SM1'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
    ] as const) {
      const res = await server.app.inject({
        method: 'POST',
        url: inboundPath(c.id),
        headers: { 'content-type': type, 'x-twilio-signature': signature },
        payload,
      });
      expect(res.statusCode, type).toBe(415);
    }
    const none = await server.app.inject({
      method: 'POST',
      url: inboundPath(c.id),
      headers: { 'x-twilio-signature': signature },
    });
    expect(none.statusCode).toBe(415);
    expect(await countEvents(server.sql, c.id)).toBe(0);
    await expectHealthy();
  });

  it('a body over 64 KiB gets 413', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const res = await server.app.inject(
      twilioRequest(
        inboundPath(c.id),
        inboundParams(newMessageSid(), { Body: 'x'.repeat(65 * 1024) }),
        c.authToken,
      ),
    );
    expect(res.statusCode).toBe(413);
    expect(await countEvents(server.sql, c.id)).toBe(0);
    await expectHealthy();
  });

  it('malformed encoding (bad escapes, invalid UTF-8, NUL) gets 400', async () => {
    const c = await seedConnection(server.sql, server.vault);
    for (const payload of [
      `MessageSid=${newMessageSid()}&Body=%zz`,
      'MessageSid=SM1&Body=%E0%A4%A',
      'Body=%FF%FE',
      `MessageSid=${newMessageSid()}&Body=a%00b`,
      `MessageSid=${newMessageSid()}&Body=a\u0000b`,
    ]) {
      const res = await server.app.inject({
        method: 'POST',
        url: inboundPath(c.id),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
    }
    expect(await countEvents(server.sql, c.id)).toBe(0);
    await expectHealthy();
  });

  it('a signed delivery without MessageSid gets 400', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const params = inboundParams('');
    delete params.MessageSid;
    delete params.SmsSid;
    delete params.SmsMessageSid;
    const res = await server.app.inject(twilioRequest(inboundPath(c.id), params, c.authToken));
    expect(res.statusCode).toBe(400);
    const empty = await server.app.inject(twilioRequest(inboundPath(c.id), {}, c.authToken));
    expect(empty.statusCode).toBe(400);
    expect(await countEvents(server.sql, c.id)).toBe(0);
  });

  it('an unknown, disconnected or malformed connection id gets 404', async () => {
    const disconnected = await seedConnection(server.sql, server.vault);
    await disconnectInDatabase(server.sql, disconnected.id);
    for (const id of [randomUUID(), disconnected.id, 'not-a-uuid', "1' or '1'='1"]) {
      const path = inboundPath(encodeURIComponent(id));
      const res = await server.app.inject(
        twilioRequest(path, inboundParams(newMessageSid()), disconnected.authToken),
      );
      expect(res.statusCode, id).toBe(404);
    }
    expect(await countEvents(server.sql, disconnected.id)).toBe(0);
    await expectHealthy();
  });

  it("a paused connection's customer messages and status callbacks are still verified, stored and applied", async () => {
    const paused = await seedConnection(server.sql, server.vault, { isActive: false });
    const messageSid = newMessageSid();
    const inbound = await server.app.inject(
      twilioRequest(inboundPath(paused.id), inboundParams(messageSid), paused.authToken),
    );
    expect(inbound.statusCode).toBe(200);
    const status = await server.app.inject(
      twilioRequest(statusPath(paused.id), statusParams(newMessageSid(), 'delivered'), paused.authToken),
    );
    expect(status.statusCode).toBe(200);
    // Still signed by its own token: a forged delivery is refused as for an active one.
    const forged = await server.app.inject(
      twilioRequest(inboundPath(paused.id), inboundParams(newMessageSid()), 'f'.repeat(32)),
    );
    expect(forged.statusCode).toBe(403);
    expect(await countEvents(server.sql, paused.id)).toBe(2);
    await drainWorker(server.app);
    expect(await countMessages(server.sql, paused.id)).toBe(1);
  });

  describe('over real sockets', () => {
    let origin = '';
    beforeAll(async () => {
      origin = await server.app.listen({ port: 0, host: '127.0.0.1' });
    });

    async function post(path: string, init: RequestInit) {
      return fetch(`${origin}${path}`, { method: 'POST', ...init });
    }

    it('a 1 MB header gets 431 and other requests are unaffected', async () => {
      const c = await seedConnection(server.sql, server.vault);
      const huge = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(new URL(origin).port), '127.0.0.1');
        let answer = '';
        socket.on('data', (d) => {
          answer += d.toString();
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', (e) => (answer ? resolve(answer) : reject(e)));
        socket.write(
          `POST ${inboundPath(c.id)} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1024 * 1024)}\r\n\r\n`,
        );
      });
      expect(huge).toMatch(/^HTTP\/1\.1 431/);
      const ok = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
      const res = await post(inboundPath(c.id), {
        headers: ok.headers as Record<string, string>,
        body: String(ok.payload),
      });
      expect(res.status).toBe(200);
      expect(await countEvents(server.sql, c.id)).toBe(1);
    });

    it('slow-loris clients do not hold up other deliveries', async () => {
      const c = await seedConnection(server.sql, server.vault);
      const port = Number(new URL(origin).port);
      const sockets = Array.from({ length: 30 }, () => {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.write(
          `POST ${inboundPath(c.id)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n`,
        );
        return s;
      });
      const drip = setInterval(() => {
        for (const s of sockets) s.write('X-Slow: 1\r\n');
      }, 50);
      try {
        const started = Date.now();
        const answers = await Promise.all(
          Array.from({ length: 20 }, async () => {
            const r = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
            return (
              await post(inboundPath(c.id), {
                headers: r.headers as Record<string, string>,
                body: String(r.payload),
              })
            ).status;
          }),
        );
        expect(answers).toEqual(Array(20).fill(200));
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        clearInterval(drip);
        for (const s of sockets) s.destroy();
      }
      expect(await countEvents(server.sql, c.id)).toBe(20);
      await expectHealthy();
    });
  });
});

describe('connection cache', () => {
  let second: WebhookServer;
  let secondPool: ReturnType<typeof createDatabase>;
  beforeAll(async () => {
    secondPool = createDatabase(server.databaseUrl, { max: 4 });
    second = await startWebhookServer(secondPool.db, server.databaseUrl);
  });
  afterAll(async () => {
    await second?.close();
    await secondPool?.close();
  });

  const deliver = (app: WebhookServer['app'], c: { id: string; authToken: string }) =>
    app
      .inject(twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken))
      .then((r) => r.statusCode);

  it('serves a connection from memory: a change without NOTIFY is not seen until the TTL', async () => {
    const c = await seedConnection(server.sql, server.vault);
    expect(await deliver(server.app, c)).toBe(200);
    await disconnectInDatabase(server.sql, c.id);
    expect(await deliver(server.app, c)).toBe(200);
  });

  it('a disconnection announced by NOTIFY is seen at once by every server', async () => {
    const c = await seedConnection(server.sql, server.vault);
    expect(await deliver(server.app, c)).toBe(200);
    expect(await deliver(second.app, c)).toBe(200);
    await server.sql.begin(async (tx) => {
      await disconnectInDatabase(tx, c.id);
      await tx`select pg_notify('twilio_connection_changed', ${c.id})`;
    });
    // NOTIFY arrives asynchronously (milliseconds); the cache TTL is 30 s.
    await vi.waitFor(async () => expect(await deliver(server.app, c)).toBe(404), {
      timeout: 2_000,
      interval: 20,
    });
    await vi.waitFor(async () => expect(await deliver(second.app, c)).toBe(404), {
      timeout: 2_000,
      interval: 20,
    });
  });

  it('a rotated token is used at once after NOTIFY; the old one is refused', async () => {
    const c = await seedConnection(server.sql, server.vault);
    expect(await deliver(second.app, c)).toBe(200);
    const [row] = await server.sql<{ twilio_account_sid: string }[]>`
      select twilio_account_sid from twilio_whatsapp_connections where id = ${c.id}`;
    const newToken = 'f'.repeat(32);
    const envelope = server.vault.encrypt(newToken, { rowId: c.id, accountSid: row!.twilio_account_sid });
    await server.sql.begin(async (tx) => {
      await tx`update twilio_whatsapp_connections set twilio_auth_token_hash = ${envelope} where id = ${c.id}`;
      await tx`select pg_notify('twilio_connection_changed', ${c.id})`;
    });
    await vi.waitFor(async () => expect(await deliver(second.app, c)).toBe(403), {
      timeout: 2_000,
      interval: 20,
    });
    expect(await deliver(second.app, { id: c.id, authToken: newToken })).toBe(200);
  });

  it('an id that was unknown works within a moment once its connection exists (short negative cache)', async () => {
    const id = randomUUID();
    expect(await deliver(server.app, { id, authToken: 'x' })).toBe(404);
    const c = await seedConnection(server.sql, server.vault, { id });
    await vi.waitFor(async () => expect(await deliver(server.app, c)).toBe(200), {
      timeout: 3_000,
      interval: 50,
    });
  });
});

describe('without a dedicated service-role pool', () => {
  it('the intake and the worker switch role per transaction and behave the same', async () => {
    // A login that may become service_role but holds no privilege of its own
    // (NOINHERIT): whatever forgets to switch role fails with 42501.
    const login = `webhooks_login_${randomUUID().slice(0, 8)}`;
    await server.sql.unsafe(`create role ${login} login password 'login' noinherit`);
    await server.sql.unsafe(`grant service_role to ${login}`);
    const url = new URL(server.databaseUrl);
    url.username = login;
    url.password = 'login';
    const loginDb = createDatabase(url.toString(), { max: 4 });
    const plain = await startWebhookServer(loginDb.db, url.toString(), { serviceRole: undefined });
    try {
      const [who] = await loginDb.db.$client<{ can_read: boolean }[]>`
        select has_table_privilege('twilio_whatsapp_webhook_events', 'select') as can_read`;
      expect(who?.can_read).toBe(false);
      const c = await seedConnection(server.sql, server.vault);
      const sid = newMessageSid();
      const request = twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken);
      const answers = await Promise.all([plain.app.inject(request), plain.app.inject(request)]);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      await drainWorker(plain.app);
      const [row] = await server.sql<{ events: number; messages: number }[]>`
        select (select count(*)::int from twilio_whatsapp_webhook_events where connection_id = ${c.id}) as events,
               (select count(*)::int from twilio_whatsapp_messages where message_sid = ${sid}) as messages`;
      expect(row).toEqual({ events: 1, messages: 1 });
      const metrics = (await plain.app.inject({ method: 'GET', url: '/metrics' })).body;
      // Present only when its count query (as service_role) succeeded.
      expect(metrics).toMatch(/twilio_webhook_events_pending \d+/);
    } finally {
      await plain.close();
      await loginDb.close();
    }
  });
});

describe('a fault of ours is not an outage', () => {
  it('a login that may not become service_role: 500 and an error count, never a 503 that asks Twilio to wait', async () => {
    const login = `no_service_${randomUUID().slice(0, 8)}`;
    await server.sql.unsafe(`create role ${login} login password 'login'`);
    const url = new URL(server.databaseUrl);
    url.username = login;
    url.password = 'login';
    const loginDb = createDatabase(url.toString(), { max: 2 });
    const broken = await startWebhookServer(loginDb.db, url.toString(), { serviceRole: undefined });
    try {
      const c = await seedConnection(server.sql, server.vault);
      const res = await broken.app.inject(
        twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken),
      );
      expect(res.statusCode).toBe(500);
      const text = (await broken.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(/twilio_webhook_deliveries_total\{outcome="error",route="message"\} 1/);
      expect(await countEvents(server.sql, c.id)).toBe(0);
    } finally {
      await broken.close();
      await loginDb.close();
    }
  });
});

describe('a connection deleted while still cached', () => {
  it('gets 404, and the deliveries that shared its batch are still stored', async () => {
    const kept = await seedConnection(server.sql, server.vault);
    const gone = await seedConnection(server.sql, server.vault);
    for (const c of [kept, gone]) {
      const res = await server.app.inject(
        twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken),
      );
      expect(res.statusCode).toBe(200);
    }
    // Deleted behind the cache's back (no NOTIFY), so the intake still believes in it.
    await server.sql`delete from twilio_whatsapp_connections where id = ${gone.id}`;
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () =>
        server.app.inject(
          twilioRequest(inboundPath(kept.id), inboundParams(newMessageSid()), kept.authToken),
        ),
      ),
      server.app.inject(twilioRequest(inboundPath(gone.id), inboundParams(newMessageSid()), gone.authToken)),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([...Array(10).fill(200), 404]);
    expect(await countEvents(server.sql, kept.id)).toBe(11);
  });
});
