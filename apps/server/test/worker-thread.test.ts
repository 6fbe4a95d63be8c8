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

// The worker as `pnpm start` runs it: in a worker thread of its own, on its own pool.
const database = useTestDatabase();
let server: WebhookServer;

beforeAll(async () => {
  server = await startWebhookServer(database.db, database.url, {
    worker: { enabled: true, pollIntervalMs: 200, thread: { databaseUrl: database.url } },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

it('the worker thread applies stored deliveries, and its counts reach the server’s /metrics', async () => {
  const sql = database.db.$client;
  const c = await seedConnection(sql, new CredentialVault(WEBHOOK_TEST_KEYS));
  const sid = newMessageSid();
  const answers = await Promise.all([
    server.app.inject(twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken)),
    server.app.inject(twilioRequest(statusPath(c.id), statusParams(sid, 'read'), c.authToken)),
  ]);
  expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);

  await vi.waitFor(
    async () => {
      const rows = await sql<{ status: string }[]>`
        select status from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
      expect(rows.map((r) => r.status)).toEqual(['processed', 'processed']);
    },
    { timeout: 60_000, interval: 100 },
  );
  const [message] = await sql<{ direction: string }[]>`
    select direction from twilio_whatsapp_messages where connection_id = ${c.id} and message_sid = ${sid}`;
  expect(message?.direction).toBe('inbound');

  // The thread's batch reports are recorded in this process's registry.
  await vi.waitFor(
    async () => {
      const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/twilio_webhook_worker_events_total\{outcome="processed"\} 2/);
      expect(metrics).toMatch(/twilio_webhook_events_pending 0/);
      // Only a thread reports its heap: the in-process worker could not have done this work.
      expect(metrics).toMatch(/twilio_webhook_worker_thread_heap_used_bytes \d+/);
    },
    { timeout: 5_000, interval: 100 },
  );
}, 90_000);
