import { createDatabase } from '@app/db';
import { useTestDatabase } from '@app/db/vitest';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  startWebhookServer,
  statusParams,
  statusPath,
  twilioRequest,
  WEBHOOK_TEST_KEYS,
  type WebhookServer,
} from './webhook-helpers.ts';

// Two servers, each with its own pools and its own running worker, on one database:
// what two processes behind a load balancer are.
const database = useTestDatabase();
const servers: WebhookServer[] = [];
const pools: ReturnType<typeof createDatabase>[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const pool = createDatabase(database.url, { max: 6 });
    pools.push(pool);
    servers.push(
      await startWebhookServer(pool.db, database.url, {
        // No coalescing: both workers claim on every NOTIFY, so their claims really race.
        worker: { enabled: true, pollIntervalMs: 200, batchSize: 25, coalesceMs: 0 },
      }),
    );
  }
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const p of pools) await p.close();
});

it('a storm of deliveries and repeats split between two servers is applied exactly once', async () => {
  const sql = database.db.$client;
  const c = await seedConnection(sql, new CredentialVault(WEBHOOK_TEST_KEYS));
  const inbound = Array.from({ length: 150 }, () => newMessageSid());
  const outbound = Array.from({ length: 50 }, () => newMessageSid());
  for (const sid of outbound) {
    await sql`
      insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, status)
      values (${c.organizationId}, ${c.id}, ${sid}, 'outbound', 'whatsapp:+14155238886', 'whatsapp:+14155550100', 'queued')`;
  }
  const requests = [
    ...inbound.map((sid) => twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken)),
    ...outbound.flatMap((sid) =>
      ['read', 'sent', 'delivered'].map((s) =>
        twilioRequest(statusPath(c.id), statusParams(sid, s), c.authToken),
      ),
    ),
  ];
  // Every delivery three times (Twilio's retries and replays), to either server, all at once.
  const storm = [...requests, ...requests, ...requests].map((r, i) => servers[i % 2]!.app.inject(r));
  const answers = await Promise.all(storm);
  expect(answers.every((a) => a.statusCode === 200)).toBe(true);

  await vi.waitFor(
    async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from twilio_whatsapp_webhook_events where status <> 'processed'`;
      expect(row!.n).toBe(0);
    },
    { timeout: 15_000, interval: 100 },
  );

  const events = await sql<{ n: number; once: number }[]>`
    select count(*)::int as n, count(*) filter (where attempts = 1)::int as once
    from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
  expect(events[0]).toEqual({ n: requests.length, once: requests.length });
  const messages = await sql<{ direction: string; status: string; n: number }[]>`
    select direction, status, count(*)::int as n from twilio_whatsapp_messages
    where connection_id = ${c.id} group by 1, 2 order by 1, 2`;
  expect(messages).toEqual([
    { direction: 'inbound', status: 'received', n: 150 },
    { direction: 'outbound', status: 'read', n: 50 },
  ]);
  // Both workers took part.
  const processed = await Promise.all(
    servers.map(async (s) => {
      const text = (await s.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/twilio_webhook_worker_events_total\{outcome="processed"\} (\d+)/.exec(text)?.[1] ?? 0);
    }),
  );
  expect(processed[0]! + processed[1]!).toBe(requests.length);
  expect(processed[0]).toBeGreaterThan(0);
  expect(processed[1]).toBeGreaterThan(0);
});
