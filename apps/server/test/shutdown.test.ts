import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { childProcessEnv } from '@app/config';
import { freePort } from '@app/db/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  EMPTY_TWIML,
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  twilioRequest,
  WEBHOOK_TEST_KEYS,
} from './webhook-helpers.ts';

// Issue 3: `pnpm start` on its own embedded PostgreSQL stops cleanly on SIGTERM: the
// request in flight gets its whole answer, then the port, the pool and PostgreSQL close.
const serverDir = path.resolve(import.meta.dirname, '..');
const PUBLIC_URL = new URL('https://hooks.example.com');
let dataDir = '';
let child: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'shutdown-'));
  // As root, embedded PostgreSQL runs as a `postgres` user that must reach DATA_DIR/pg.
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Resolves true when a TCP connection to the port is refused, false when it is accepted. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(true);
      else reject(error);
    });
  });
}

/** PIDs of the processes whose command line names `dir` (PostgreSQL runs with `-D <dir>`). */
async function processesUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.includes(dir))) pids.push(Number(entry));
  }
  return pids;
}

it('SIGTERM answers the request in flight, then exits 0 with the port, the pool and embedded PostgreSQL closed', async () => {
  const port = await freePort();
  const pgPort = await freePort();
  const pgDir = path.join(dataDir, 'pg');
  // Exactly as `pnpm start` runs it: the tsx CLI as parent, relaying signals to the server.
  const proc = spawn(
    process.execPath,
    [path.join(serverDir, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'],
    {
      cwd: serverDir,
      // No DATABASE_URL: the server starts its own PostgreSQL under DATA_DIR/pg.
      env: childProcessEnv({
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: PUBLIC_URL.origin,
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(pgPort),
        CREDENTIALS_ENCRYPTION_KEYS: WEBHOOK_TEST_KEYS,
        SESSION_SECRET: 'shutdown-test-session-secret-0123456789',
        LOG_LEVEL: 'error',
        // Reconciliation reads Twilio at startup: no test may reach the real one.
        TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      }),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child = proc;
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await vi.waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    },
    { timeout: 60_000, interval: 200 },
  );
  expect(await processesUsing(pgDir)).not.toEqual([]);

  // A delivery held in flight: its insert waits on a lock this test holds.
  const sql = postgres(`postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`, {
    max: 2,
    onnotice: () => {},
  });
  let answer: Promise<{ status: number; body: string } | 'no answer'>;
  try {
    const c = await seedConnection(sql, new CredentialVault(WEBHOOK_TEST_KEYS));
    const blocker = await sql.reserve();
    await blocker`begin`;
    await blocker`lock table twilio_whatsapp_webhook_events in exclusive mode`;
    const r = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken, {
      publicUrl: PUBLIC_URL,
    });
    answer = fetch(`http://127.0.0.1:${port}${r.url}`, {
      method: 'POST',
      headers: r.headers as Record<string, string>,
      body: String(r.payload),
    }).then(
      async (res) => ({ status: res.status, body: await res.text() }),
      () => 'no answer' as const,
    );
    await vi.waitFor(
      async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_locks
          where relation = 'twilio_whatsapp_webhook_events'::regclass and not granted`;
        expect(row!.n).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 20 },
    );

    proc.kill('SIGTERM');
    // Shutting down: new connections are refused while the delivery is still held.
    await vi.waitFor(async () => expect(await refused(port)).toBe(true), { timeout: 10_000, interval: 20 });
    expect(proc.exitCode).toBeNull();

    await blocker`rollback`;
    blocker.release();
  } finally {
    await sql.end({ timeout: 5 });
  }

  // The delivery was stored (200, not a 503 from a database stopped under it) and the
  // process did not need its 20 s forced exit (code 1) to end.
  expect(await answer).toEqual({ status: 200, body: EMPTY_TWIML });
  expect(await exited).toBe(0);
  expect(await refused(port)).toBe(true);
  expect(await refused(pgPort)).toBe(true);
  expect(await processesUsing(pgDir)).toEqual([]);
}, 90_000);
