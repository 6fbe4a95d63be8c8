import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@app/db/testing';
import { useTestDatabase } from '@app/db/vitest';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  inboundParams,
  inboundPath,
  newMessageSid,
  type SeededConnection,
  seedConnection,
  twilioRequest,
  WEBHOOK_TEST_KEYS,
} from './webhook-helpers.ts';

const database = useTestDatabase();
const serverDir = path.resolve(import.meta.dirname, '..');
let dataDir = '';
let port = 0;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'webhook-durability-'));
  port = await freePort();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** `pnpm start` as a child process on the test database. */
async function startServerProcess(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      CREDENTIALS_ENCRYPTION_KEYS: WEBHOOK_TEST_KEYS,
      SESSION_SECRET: 'durability-test-session-secret-0123456789',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      // Reconciliation reads Twilio at startup: no test may reach the real one.
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d.toString();
  });
  await vi.waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
    },
    { timeout: 30_000, interval: 100 },
  );
  return proc;
}

async function send(c: SeededConnection, sid: string): Promise<number | 'no answer'> {
  const r = twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken, {
    publicUrl: new URL(`http://127.0.0.1:${port}`),
  });
  try {
    const res = await fetch(`http://127.0.0.1:${port}${r.url}`, {
      method: 'POST',
      headers: r.headers as Record<string, string>,
      body: String(r.payload),
    });
    return res.status;
  } catch {
    return 'no answer';
  }
}

it('every delivery acknowledged before a SIGKILL is stored, and is applied once after restart', async () => {
  const sql = database.db.$client;
  const c = await seedConnection(sql, new CredentialVault(WEBHOOK_TEST_KEYS));
  // Hold the first process's worker mid-batch (its inserts wait on this lock), so
  // the kill lands inside a worker transaction and the restart has work to do.
  const blocker = await sql.reserve();
  await blocker`begin`;
  await blocker`lock table twilio_whatsapp_messages in exclusive mode`;
  child = await startServerProcess();

  const acknowledged: string[] = [];
  const sent: string[] = [];
  let killed = false;
  const sender = async () => {
    while (!killed) {
      const sid = newMessageSid();
      sent.push(sid);
      if ((await send(c, sid)) === 200) acknowledged.push(sid);
    }
  };
  const senders = Array.from({ length: 16 }, sender);
  await vi.waitFor(() => expect(acknowledged.length).toBeGreaterThan(300), { timeout: 20_000, interval: 10 });
  const exited = new Promise((resolve) => child?.once('exit', resolve));
  child.kill('SIGKILL');
  killed = true;
  await Promise.all(senders);
  await exited;
  await blocker`rollback`;
  blocker.release();

  // Every 200 is in the database.
  const stored = await sql<{ message_sid: string }[]>`
    select message_sid from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
  const storedSids = new Set(stored.map((r) => r.message_sid));
  expect(acknowledged.filter((sid) => !storedSids.has(sid))).toEqual([]);
  // Nothing that was never sent, and nothing twice.
  expect(stored.length).toBe(storedSids.size);
  expect(stored.every((r) => sent.includes(r.message_sid))).toBe(true);

  const [applied] = await sql<{ n: number }[]>`
    select count(*)::int as n from twilio_whatsapp_messages where connection_id = ${c.id}`;
  expect(applied!.n).toBe(0);

  // After a restart the worker applies each stored delivery exactly once.
  child = await startServerProcess();
  await vi.waitFor(
    async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from twilio_whatsapp_webhook_events
        where connection_id = ${c.id} and status <> 'processed'`;
      expect(row!.n).toBe(0);
    },
    { timeout: 20_000, interval: 100 },
  );
  const messages = await sql<{ message_sid: string }[]>`
    select message_sid from twilio_whatsapp_messages where connection_id = ${c.id}`;
  expect(new Set(messages.map((m) => m.message_sid))).toEqual(storedSids);
  expect(messages.length).toBe(storedSids.size);
  const stopped = new Promise((resolve) => child?.once('exit', resolve));
  child.kill('SIGTERM');
  await stopped;
  child = undefined;
}, 90_000);
