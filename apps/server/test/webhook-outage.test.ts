import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createDatabase } from '@app/db';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  inboundParams,
  inboundPath,
  newMessageSid,
  type SeededConnection,
  seedConnection,
  startWebhookServer,
  twilioRequest,
  WEBHOOK_TEST_KEYS,
  type WebhookServer,
} from './webhook-helpers.ts';

// This file stops and restarts PostgreSQL, so it has a cluster of its own.
let dataDir = '';
let port = 0;
let pg: EmbeddedPostgresHandle | undefined;
let pool: ReturnType<typeof createDatabase>;
let server: WebhookServer;
let cached: SeededConnection;
let uncached: SeededConnection;

/** The server's log lines, as JSON. */
const logLines: { level: number; msg: string; stack?: unknown; err?: unknown }[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});
const intakeLines = () => logLines.filter((l) => l.msg.startsWith('webhook intake'));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'webhook-outage-pg-'));
  port = await freePort();
  pg = await startEmbeddedPostgres({ dataDir, port });
  await applyMigrations(pg.url);
  pool = createDatabase(pg.url, { max: 4 });
  server = await startWebhookServer(pool.db, pg.url, {
    worker: { enabled: true, pollIntervalMs: 200 },
    logLevel: 'warn',
    logStream,
  });
  const vault = new CredentialVault(WEBHOOK_TEST_KEYS);
  cached = await seedConnection(pool.client, vault);
  uncached = await seedConnection(pool.client, vault);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await pool?.close();
  await pg?.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

const deliver = (c: SeededConnection, sid = newMessageSid()) =>
  server.app.inject(twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken));

it('with PostgreSQL down deliveries get 503, never 200; when it is back the server recovers without restart', async () => {
  expect((await deliver(cached)).statusCode).toBe(200);

  await pg!.stop();
  const whileDown: number[] = [];
  for (let i = 0; i < 10; i++) {
    whileDown.push((await deliver(cached)).statusCode, (await deliver(uncached)).statusCode);
  }
  expect(new Set(whileDown)).toEqual(new Set([503]));
  // Twenty 503s: one line that the outage started, without a stack; not one per 503.
  expect(intakeLines().map((l) => l.msg)).toEqual([
    'webhook intake: database unavailable; answering 503 until it is back',
  ]);
  expect(JSON.stringify(intakeLines())).not.toContain('    at ');
  expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  expect((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

  pg = await startEmbeddedPostgres({ dataDir, port });
  const sid = newMessageSid();
  await vi.waitFor(async () => expect((await deliver(cached, sid)).statusCode).toBe(200), {
    timeout: 20_000,
    interval: 100,
  });
  expect((await deliver(uncached)).statusCode).toBe(200);
  // And one line when it is over (the 503s while PostgreSQL restarted are counted in it).
  expect(intakeLines().map((l) => l.msg)).toEqual([
    'webhook intake: database unavailable; answering 503 until it is back',
    'webhook intake: database reachable again',
  ]);

  // The worker is back too: what was accepted gets applied.
  await vi.waitFor(
    async () => {
      const rows = await pool.client`select 1 from twilio_whatsapp_messages where message_sid = ${sid}`;
      expect(rows.length).toBe(1);
    },
    { timeout: 10_000, interval: 100 },
  );
  const [events] = await pool.client<{ n: number }[]>`
    select count(*)::int as n from twilio_whatsapp_webhook_events where connection_id in (${cached.id}, ${uncached.id})`;
  // One before the outage, none during, two after.
  expect(events!.n).toBe(3);
}, 90_000);
