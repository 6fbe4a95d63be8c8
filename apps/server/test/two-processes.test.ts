import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childProcessEnv } from '@app/config';
import { freePort } from '@app/db/testing';
import { useTestDatabase } from '@app/db/vitest';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  statusParams,
  statusPath,
  twilioRequest,
  WEBHOOK_TEST_KEYS,
} from './webhook-helpers.ts';

// Issue 4: two `pnpm start` processes on one database behind a load balancer; a storm
// of deliveries and Twilio's repeats split between them is stored and applied once.
const database = useTestDatabase();
const serverDir = path.resolve(import.meta.dirname, '..');
const PUBLIC_URL = new URL('https://hooks.example.com');
/** Enough distinct events that they arrive over a second or more: a worker's first claim takes only those stored by then. */
const INBOUND = 300;
const OUTBOUND = 50;
const STATUSES = ['read', 'sent', 'delivered'] as const;

interface ServerProcess {
  port: number;
  child: ChildProcess;
  stderr: () => string;
}
const servers: ServerProcess[] = [];
let dataDir = '';

async function startServerProcess(): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: childProcessEnv({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      // Both sit behind one public URL, as behind a load balancer: signatures are over it.
      PUBLIC_URL: PUBLIC_URL.origin,
      CREDENTIALS_ENCRYPTION_KEYS: WEBHOOK_TEST_KEYS,
      SESSION_SECRET: 'two-processes-session-secret-0123456789',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      // Reconciliation reads Twilio at startup: no test may reach the real one.
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
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
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    },
    { timeout: 30_000, interval: 100 },
  );
  return { port, child, stderr: () => stderr };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'two-processes-'));
});
afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise((resolve) => {
          if (s.child.exitCode !== null) return resolve(undefined);
          s.child.once('exit', resolve);
          s.child.kill('SIGTERM');
        }),
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
});

async function processedBy(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  return Number(/^twilio_webhook_worker_events_total\{outcome="processed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

it('a storm of deliveries and repeats split between two server processes is applied exactly once, by both workers', async () => {
  const sql = database.db.$client;
  const c = await seedConnection(sql, new CredentialVault(WEBHOOK_TEST_KEYS));
  const inbound = Array.from({ length: INBOUND }, () => newMessageSid());
  const outbound = Array.from({ length: OUTBOUND }, () => newMessageSid());
  for (const sid of outbound) {
    await sql`
      insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, status)
      values (${c.organizationId}, ${c.id}, ${sid}, 'outbound', 'whatsapp:+14155238886', 'whatsapp:+14155550100', 'queued')`;
  }
  const deliveries = [
    ...inbound.map((sid) =>
      twilioRequest(inboundPath(c.id), inboundParams(sid), c.authToken, { publicUrl: PUBLIC_URL }),
    ),
    ...outbound.flatMap((sid) =>
      STATUSES.map((s) =>
        twilioRequest(statusPath(c.id), statusParams(sid, s), c.authToken, { publicUrl: PUBLIC_URL }),
      ),
    ),
  ];

  // Hold the workers at their first write to the messages table: each process's worker
  // then sits on its claimed batch (the events stored when its first NOTIFY came), so
  // the other process's worker must claim the rest. Both blocked at once proves both
  // took part.
  const blocker = await sql.reserve();
  await blocker`begin`;
  await blocker`lock table twilio_whatsapp_messages in exclusive mode`;
  try {
    servers.push(...(await Promise.all([startServerProcess(), startServerProcess()])));

    // Every delivery twice (a Twilio retry), once to each process; 24 requests in flight.
    const sends = deliveries.flatMap((r, i) => [
      { r, server: servers[i % 2]! },
      { r, server: servers[(i + 1) % 2]! },
    ]);
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        while (next < sends.length) {
          const { r, server } = sends[next++]!;
          const res = await fetch(`http://127.0.0.1:${server.port}${r.url}`, {
            method: 'POST',
            headers: r.headers as Record<string, string>,
            body: String(r.payload),
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses.length).toBe(deliveries.length * 2);
    expect(statuses.every((s) => s === 200)).toBe(true);

    await vi.waitFor(
      async () => {
        const waiting = await sql<{ pid: number }[]>`
          select distinct pid from pg_locks
          where relation = 'twilio_whatsapp_messages'::regclass and not granted`;
        expect(waiting.length).toBe(2);
      },
      { timeout: 15_000, interval: 50 },
    );
  } finally {
    await blocker`rollback`;
    blocker.release();
  }

  await vi.waitFor(
    async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from twilio_whatsapp_webhook_events where status <> 'processed'`;
      expect(row!.n).toBe(0);
    },
    { timeout: 20_000, interval: 100 },
  );

  // Each MessageSid's events stored once (one per inbound message, one per status), each applied in one attempt.
  const events = await sql<{ n: number; distinct_keys: number; once: number }[]>`
    select count(*)::int as n,
           count(distinct (message_sid, event_type, coalesce(message_status, '')))::int as distinct_keys,
           count(*) filter (where attempts = 1)::int as once
    from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
  expect(events[0]).toEqual({
    n: deliveries.length,
    distinct_keys: deliveries.length,
    once: deliveries.length,
  });
  const perSid = await sql<{ message_sid: string; n: number }[]>`
    select message_sid, count(*)::int as n from twilio_whatsapp_webhook_events
    where connection_id = ${c.id} group by 1`;
  expect(perSid.length).toBe(INBOUND + OUTBOUND);
  for (const { message_sid, n } of perSid) {
    expect(n).toBe(inbound.includes(message_sid) ? 1 : STATUSES.length);
  }

  // Each message applied once: one row per inbound MessageSid, the outbound rows updated in place.
  const messages = await sql<{ direction: string; n: number; sids: number }[]>`
    select direction, count(*)::int as n, count(distinct message_sid)::int as sids
    from twilio_whatsapp_messages where connection_id = ${c.id} group by 1 order by 1`;
  expect(messages).toEqual([
    { direction: 'inbound', n: INBOUND, sids: INBOUND },
    { direction: 'outbound', n: OUTBOUND, sids: OUTBOUND },
  ]);

  // Both processes' workers applied events, and together each event exactly once.
  const processed = await Promise.all(servers.map(processedBy));
  expect(processed[0]).toBeGreaterThan(0);
  expect(processed[1]).toBeGreaterThan(0);
  expect(processed[0]! + processed[1]!).toBe(deliveries.length);
}, 60_000);
