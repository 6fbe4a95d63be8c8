import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@app/db/testing';
import { startTwilioSimulator } from '@app/twilio/simulator';
import { type RunState, runStateFile } from './run-state.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const serverDir = path.join(repoRoot, 'apps/server');
const artifactsDir = path.join(repoRoot, 'e2e/artifacts');

/**
 * Builds the SPA if needed, starts the Twilio simulator in this process and the
 * server (apps/server/src/main.ts, as `pnpm start` runs it) on free ports with a
 * fresh DATA_DIR, so its embedded PostgreSQL starts empty. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  mkdirSync(artifactsDir, { recursive: true });
  const build = spawnSync('pnpm', ['--filter', '@app/web', 'build:if-needed'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('building the SPA failed');

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'app-e2e-'));
  // As root, embedded PostgreSQL runs as a `postgres` user that must reach DATA_DIR/pg.
  await chmod(dataDir, 0o755);
  const port = await freePort();
  let pgPort = await freePort();
  while (pgPort === port) pgPort = await freePort();

  // Twilio's own retry policy (the default): what a webhook does not bring, reconciliation does.
  const simulator = await startTwilioSimulator({ statusDelayMs: 50 });
  const serverLog = openSync(path.join(artifactsDir, 'server.log'), 'w');
  // `env` adds the variables to the inherited environment: this file reads none of it.
  const server = spawn(
    'env',
    [
      'DATABASE_URL=',
      'PUBLIC_URL=',
      'NODE_ENV=development',
      `PORT=${port}`,
      'HOST=127.0.0.1',
      // Each test's browser says who it is in X-Forwarded-For (support/fixtures.ts), so the
      // per-IP limits on sign-up and sign-in apply per test, as they would per person.
      'TRUST_PROXY=1',
      `DATA_DIR=${dataDir}`,
      `EMBEDDED_PG_PORT=${pgPort}`,
      `TWILIO_API_BASE_URL=${simulator.url}`,
      'LOG_LEVEL=warn',
      process.execPath,
      '--import',
      'tsx',
      'src/main.ts',
    ],
    { cwd: serverDir, stdio: ['ignore', serverLog, serverLog] },
  );

  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    await simulator.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(`${baseUrl}/readyz`, server, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }

  const state: RunState = {
    baseUrl,
    simulatorUrl: simulator.url,
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
  };
  writeFileSync(runStateFile, JSON.stringify(state, null, 2));
  return stop;
}

async function waitUntilReady(url: string, server: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const exited = once(server, 'exit');
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`the server exited with ${server.exitCode}; see e2e/artifacts/server.log`);
    }
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    // Poll again shortly, or at once if the process dies meanwhile.
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 250)), exited]);
  }
  throw new Error(`the server was not ready within ${timeoutMs} ms; see e2e/artifacts/server.log`);
}
