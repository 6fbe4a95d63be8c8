import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@app/db';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { readinessProbe } from '../src/health/routes.ts';
import { useTestServer } from './helpers.ts';

// Issue 11: during a long PostgreSQL outage /readyz stopped answering after ~14 s
// (postgres.js queues queries behind a reconnect backoff growing to 20 s). It must
// keep answering 503 promptly. This file stops PostgreSQL, so it has a cluster of its own.

let dataDir = '';
let port = 0;
let pg: EmbeddedPostgresHandle | undefined;
let pool: ReturnType<typeof createDatabase> | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'readiness-outage-pg-'));
  port = await freePort();
  pg = await startEmbeddedPostgres({ dataDir, port });
  await applyMigrations(pg.url);
  pool = createDatabase(pg.url, { max: 4 });
}, 120_000);

const server = useTestServer(() => ({
  db: pool!.db,
  sql: pool!.client,
  worker: { enabled: false },
}));

afterAll(async () => {
  await pool?.close();
  await pg?.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

/** The machine is shared and loaded: "promptly" is asserted loosely, the deadline is 1 s. */
const PROMPT_MS = 2_500;

async function readyz() {
  const started = Date.now();
  const res = await server.app.inject({ method: 'GET', url: '/readyz' });
  return { status: res.statusCode, ms: Date.now() - started };
}

it('/readyz answers 503 promptly through a 20 s outage, and 200 again once PostgreSQL is back', async () => {
  expect((await readyz()).status).toBe(200);

  await pg!.stop();
  const answers: Array<{ status: number; ms: number }> = [];
  const outageStarted = Date.now();
  while (Date.now() - outageStarted < 20_000) {
    answers.push(await readyz());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(answers.length).toBeGreaterThan(10);
  expect(new Set(answers.map((a) => a.status))).toEqual(new Set([503]));
  expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(PROMPT_MS);

  pg = await startEmbeddedPostgres({ dataDir, port });
  // The pool reconnects on its own backoff (up to 20 s); readiness follows it.
  await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 40_000, interval: 500 });
}, 120_000);

it('one probe in flight at a time: checks during a hung query do not pile up more queries', async () => {
  let calls = 0;
  let release: () => void = () => {};
  const probe = readinessProbe(() => {
    calls++;
    return new Promise<void>((resolve) => {
      release = resolve;
    });
  }, 50);
  expect(await probe()).toBe(false);
  expect(await probe()).toBe(false);
  expect(calls).toBe(1);
  release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const answered = probe();
  release();
  expect(await answered).toBe(true);
  expect(calls).toBe(2);
});
