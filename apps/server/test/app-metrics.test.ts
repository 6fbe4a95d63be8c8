import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseEnv } from '@app/config';
import type { ConnectionWriteResult } from '@app/contracts';
import { freePort } from '@app/db/testing';
import { useTestDatabase } from '@app/db/vitest';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningApp, startApp } from '../src/app.ts';
import { EVENT_LOOP_RESOLUTION_MS, eventLoopDelayMs } from '../src/observability/metrics.ts';
import { seedTwilioAccount } from './connections-world.ts';
import { TEST_KEY_1, TEST_PASSWORD, TEST_PUBLIC_URL, TestClient, uniqueEmail } from './helpers.ts';
import { inboundParams, inboundPath, newMessageSid, twilioRequest } from './webhook-helpers.ts';

// The server as `pnpm start` wires it (startApp): its /metrics must count the Twilio
// REST calls the connect flow makes and show the webhook, worker and Twilio families the README lists.
const database = useTestDatabase();
let simulator: RunningTwilioSimulator;
let running: RunningApp;
let dataDir = '';
let port = 0;

beforeAll(async () => {
  simulator = await startTwilioSimulator();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'app-metrics-'));
  port = await freePort();
  running = await startApp({
    env: parseEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      // The TestClient sends this origin on mutations and webhooks are signed for it.
      PUBLIC_URL: TEST_PUBLIC_URL.origin,
      CREDENTIALS_ENCRYPTION_KEYS: TEST_KEY_1,
      SESSION_SECRET: 'app-metrics-session-secret-0123456789abcdef',
      DATA_DIR: dataDir,
    }),
    log: () => {},
    logLevel: 'silent',
    database: { url: database.url, stopEmbedded: async () => {} },
    twilioApiBaseUrl: simulator.url,
  });
});
afterAll(async () => {
  await running?.close();
  await simulator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** One sample of /metrics, read over HTTP from the listening server. */
async function metric(name: string, labels = ''): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

it('counts the Twilio API calls of the connect flow and the webhook deliveries on /metrics', async () => {
  expect(await metric('twilio_api_calls_total', '{outcome="ok"}')).toBeUndefined();

  const owner = new TestClient(() => running.app);
  const signUp = await owner.mutation('auth.signUp', {
    organizationName: 'Metrics Co',
    email: uniqueEmail('metrics'),
    password: TEST_PASSWORD,
  });
  expect(signUp.error).toBeUndefined();
  const account = seedTwilioAccount(simulator);
  const created = await owner.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
    accountSid: account.accountSid,
    authToken: account.authToken,
    whatsappNumber: account.senderNumber,
    friendlyName: 'Metrics line',
  });
  expect(created.error).toBeUndefined();
  expect(created.data.webhookConfigured).toBe(true);

  const twilioRequests = simulator.sim.apiRequests().length;
  expect(twilioRequests).toBeGreaterThan(0);
  expect(await metric('twilio_api_calls_total', '{outcome="ok"}')).toBe(twilioRequests);

  // One inbound message, delivered twice: accepted once, a duplicate once, then processed.
  const sid = newMessageSid();
  const delivery = twilioRequest(inboundPath(created.data.id), inboundParams(sid), account.authToken, {
    publicUrl: TEST_PUBLIC_URL,
  });
  for (let i = 0; i < 2; i++) {
    const res = await running.app.inject(delivery);
    expect(res.statusCode).toBe(200);
  }
  expect(await metric('twilio_webhook_deliveries_total', '{outcome="accepted",route="message"}')).toBe(1);
  expect(await metric('twilio_webhook_deliveries_total', '{outcome="duplicate",route="message"}')).toBe(1);

  await vi.waitFor(
    async () => expect(await metric('twilio_webhook_worker_events_total', '{outcome="processed"}')).toBe(1),
    {
      timeout: 10_000,
      interval: 50,
    },
  );
  expect(await metric('twilio_webhook_events_pending')).toBe(0);
  expect(await metric('twilio_webhook_processing_lag_seconds_count')).toBe(1);
  // Applied within seconds: in the 10-s bucket (and every one above it), not in +Inf alone.
  expect(await metric('twilio_webhook_processing_lag_seconds_bucket', '{le="10"}')).toBe(1);
  expect(await metric('twilio_webhook_processing_lag_seconds_bucket', '{le="300"}')).toBe(1);
  expect(await metric('twilio_webhook_processing_lag_seconds_sum')).toBeLessThan(10);

  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).not.toContain(account.authToken);
});

it('serves the process and Node metrics beside the webhook and Twilio series', async () => {
  expect(await metric('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  expect(await metric('process_resident_memory_bytes')).toBeGreaterThan(0);
  expect(await metric('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  expect(await metric('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  expect(text).toContain('# TYPE twilio_webhook_deliveries_total counter');
  expect(text).toContain('# TYPE twilio_webhook_processing_lag_seconds histogram');
  expect(text).toContain('# TYPE twilio_webhook_events_pending gauge');
});

it('reports the live heap: in use just after the latest full collection', async () => {
  // A full collection now (gc() made reachable without restarting with --expose-gc).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((r) => setTimeout(r, 50));
  const live = await metric('twilio_process_heap_used_after_full_gc_bytes');
  expect(live).toBeGreaterThan(1024 * 1024);
  expect(live).toBeLessThanOrEqual((await metric('nodejs_heap_size_total_bytes')) ?? 0);
});

it("reads the event loop's delay with the monitor's sampling interval taken off", async () => {
  await new Promise((r) => setTimeout(r, 100));
  // Idle: the series' values are the times between the monitor's samples, so even the
  // smallest is near the 10-ms interval, not near 0 (what the bench subtracts).
  const min = await metric('nodejs_eventloop_lag_min_seconds');
  expect(min).toBeGreaterThan(EVENT_LOOP_RESOLUTION_MS / 2 / 1000);
  expect(eventLoopDelayMs(0.0123)).toBeCloseTo(2.3);
  expect(eventLoopDelayMs(0.009)).toBe(0);
});
