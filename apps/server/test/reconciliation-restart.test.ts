import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childProcessEnv } from '@app/config';
import { createDatabase } from '@app/db';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import { createTwilioAdapter } from '@app/twilio';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import { type SeededConnection, seedConnection, WEBHOOK_TEST_KEYS } from './webhook-helpers.ts';

// Issue 11, "Done when": with the simulator on Twilio's DEFAULT retry policy (one
// retry, on connection failure only), the server stopped while the customer writes
// and sent messages move through their statuses; a new server on the same database
// then has every message and every final status exactly once, with no action by
// anyone. The same with PostgreSQL stopped instead of the server (webhooks answered
// 503, which Twilio never sends again).

const serverDir = path.resolve(import.meta.dirname, '..');
const CUSTOMER = 'whatsapp:+447700900555';
const INBOUND_WHILE_DOWN = 5;
const SENDS = 3;

let dataDir = '';
let pgDir = '';
let pgPort = 0;
let pg: EmbeddedPostgresHandle | undefined;
let pool: ReturnType<typeof createDatabase>;
let sim: RunningTwilioSimulator;
let port = 0;
let publicUrl = '';
let server: { child: ChildProcess; stderr: () => string } | undefined;
let c: SeededConnection;

async function startServer() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: childProcessEnv({
      DATABASE_URL: pg!.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      TWILIO_API_BASE_URL: sim.url,
      CREDENTIALS_ENCRYPTION_KEYS: WEBHOOK_TEST_KEYS,
      SESSION_SECRET: 'reconciliation-restart-session-secret-0123',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d.toString();
  });
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      expect((await fetch(`${publicUrl}/readyz`)).status).toBe(200);
    },
    { timeout: 30_000, interval: 100 },
  );
  server = { child, stderr: () => stderr };
}

async function stopServer() {
  if (!server || server.child.exitCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'reconciliation-restart-'));
  // PostgreSQL is stopped and started again by this file: a cluster of its own.
  pgDir = await mkdtemp(path.join(os.tmpdir(), 'reconciliation-restart-pg-'));
  pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
  await applyMigrations(pg.url);
  pool = createDatabase(pg.url, { max: 3 });
  // Twilio's default policy: nothing answered non-2xx, and nothing refused twice, is sent again.
  sim = await startTwilioSimulator({ statusDelayMs: 5, autoAdvance: false });
  port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;

  c = await seedConnection(pool.client, new CredentialVault(WEBHOOK_TEST_KEYS));
  sim.sim.seedAccount({ sid: c.accountSid, authToken: c.authToken });
  const sender = sim.sim.addWhatsappSender(c.accountSid, c.whatsappNumber);
  sender.webhook.callback_url = `${publicUrl}/webhooks/twilio/whatsapp/${c.id}`;
  sim.sim.openConversation(c.accountSid, c.whatsappNumber, CUSTOMER);
}, 120_000);

afterAll(async () => {
  await stopServer();
  await sim?.close();
  await pool?.close();
  await pg?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
}, 60_000);

const customerWrites = (body: string) =>
  sim.sim.deliverInbound({ to: c.whatsappNumber, from: CUSTOMER, body }).then((r) => r.messageSid);

async function stored() {
  const messages = await pool.client<{ message_sid: string; direction: string; status: string }[]>`
    select message_sid, direction, status from twilio_whatsapp_messages where connection_id = ${c.id}`;
  const events = await pool.client<{ idempotency_key: string; n: number }[]>`
    select idempotency_key, count(*)::int as n from twilio_whatsapp_webhook_events
    where connection_id = ${c.id} group by idempotency_key`;
  return { messages, events };
}

it('a server stopped, then PostgreSQL stopped: every message and final status ends up stored once, with no action by anyone', async () => {
  await startServer();
  const inbound: string[] = [await customerWrites('before the stop')];

  // Sent while the server runs, as the send flow stores them, and sent by Twilio.
  const twilioApi = createTwilioAdapter({ apiBaseUrl: sim.url });
  const sends: string[] = [];
  for (let i = 0; i < SENDS; i++) {
    const sent = await twilioApi.sendMessage(
      { accountSid: c.accountSid, authToken: c.authToken },
      {
        from: c.whatsappNumber,
        to: CUSTOMER,
        body: `reply ${i}`,
        statusCallback: `${publicUrl}/webhooks/twilio/whatsapp/${c.id}/status`,
      },
    );
    await pool.client`
      insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
      values (${c.organizationId}, ${c.id}, ${sent.sid}, 'outbound', ${`whatsapp:${c.whatsappNumber}`}, ${CUSTOMER}, ${`reply ${i}`}, 'queued')`;
    await sim.sim.advanceStatus(sent.sid, 'sent');
    sends.push(sent.sid);
  }
  await vi.waitFor(
    async () => {
      const { messages } = await stored();
      expect(messages.filter((m) => m.direction === 'outbound' && m.status === 'sent')).toHaveLength(SENDS);
    },
    { timeout: 15_000, interval: 100 },
  );

  // The server is stopped; meanwhile the customer writes and the replies are delivered and read.
  await stopServer();
  for (let i = 0; i < INBOUND_WHILE_DOWN; i++) inbound.push(await customerWrites(`while down ${i}`));
  await sim.sim.advanceStatus(sends[0]!, 'delivered');
  await sim.sim.advanceStatus(sends[0]!, 'read');
  await sim.sim.advanceStatus(sends[1]!, 'delivered');
  await sim.sim.advanceStatus(sends[2]!, 'undelivered', 30003);
  const lost = sim.sim.deliveries({ accountSid: c.accountSid }).filter((d) => d.outcome !== 'delivered');
  expect(lost.length).toBe(INBOUND_WHILE_DOWN + 4);

  // A new server on the same database; nobody does anything.
  await startServer();
  const finals = { [sends[0]!]: 'read', [sends[1]!]: 'delivered', [sends[2]!]: 'undelivered' };
  await vi.waitFor(
    async () => {
      const { messages } = await stored();
      expect(
        messages
          .filter((m) => m.direction === 'inbound')
          .map((m) => m.message_sid)
          .sort(),
      ).toEqual([...inbound].sort());
      for (const [sid, status] of Object.entries(finals))
        expect(messages.find((m) => m.message_sid === sid)?.status).toBe(status);
    },
    { timeout: 60_000, interval: 250 },
  );

  // PostgreSQL stopped instead: the intake answers 503, which Twilio does not send again.
  await pg!.stop();
  const refused: string[] = [];
  for (let i = 0; i < INBOUND_WHILE_DOWN; i++) refused.push(await customerWrites(`database down ${i}`));
  const answers = sim.sim
    .deliveries({ accountSid: c.accountSid })
    .filter((d) => refused.includes(d.messageSid))
    .flatMap((d) => d.attempts.map((a) => a.status));
  expect(new Set(answers)).toEqual(new Set([503]));
  pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
  await vi.waitFor(
    async () => {
      const { messages } = await stored();
      expect(
        messages
          .filter((m) => m.direction === 'inbound')
          .map((m) => m.message_sid)
          .sort(),
      ).toEqual([...inbound, ...refused].sort());
    },
    { timeout: 60_000, interval: 250 },
  );

  // Exactly once: one row per MessageSid (the column is unique) and one event per key.
  const { messages, events } = await stored();
  expect(messages).toHaveLength(1 + 2 * INBOUND_WHILE_DOWN + SENDS);
  expect(events.filter((e) => e.n !== 1)).toEqual([]);
  expect(server!.stderr()).not.toContain(c.authToken);
}, 240_000);
