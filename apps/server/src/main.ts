import path from 'node:path';
import { env, repoRoot } from '@app/config';
import { createTwilioAdapter } from '@app/twilio';
import { resolveRuntimeConfig } from './config.ts';
import { openDatabase, resolveDatabaseUrl } from './database.ts';
import { buildServer } from './server.ts';
import { CredentialVault } from './vault/credential-vault.ts';
import { openServiceRolePool } from './webhooks/service-role-pool.ts';

// `pnpm start`: PostgreSQL (DATABASE_URL or embedded), migrations, then the server.
// SIGINT/SIGTERM drain in-flight requests, close the pool and stop embedded PostgreSQL.

const e = env();
const bootLog = (message: string) =>
  process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: message })}\n`);

const config = await resolveRuntimeConfig(e, (m) => bootLog(`warning: ${m}`));
const pg = await resolveDatabaseUrl(e, bootLog);
let database: Awaited<ReturnType<typeof openDatabase>>;
try {
  database = await openDatabase(pg.url, bootLog);
} catch (error) {
  bootLog(`could not prepare the database: ${(error as Error).message}`);
  await pg.stopEmbedded();
  process.exit(1);
}

// Webhook intake and worker: connections that are service_role from login.
const serviceSql = openServiceRolePool(pg.url);

const app = await buildServer({
  db: database.db,
  sql: database.client,
  publicUrl: config.publicUrl,
  sessionSecret: config.sessionSecret,
  logLevel: e.LOG_LEVEL,
  webDistDir: path.join(repoRoot, 'apps/web/dist'),
  vault: new CredentialVault(config.credentialsEncryptionKeys),
  twilio: createTwilioAdapter(e.TWILIO_API_BASE_URL ? { apiBaseUrl: e.TWILIO_API_BASE_URL } : {}),
  serviceSql,
  worker: { enabled: true },
});

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
  try {
    await app.close();
    await serviceSql.end({ timeout: 5 });
    await database.close();
    await pg.stopEmbedded();
  } finally {
    clearTimeout(force);
    process.exit(0);
  }
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  await app.listen({ port: e.PORT, host: e.HOST });
  app.log.info(
    `ready: ${config.publicUrl.origin} (webhooks at ${config.publicUrl.origin}/webhooks/twilio/whatsapp/…)`,
  );
} catch (error) {
  app.log.error({ err: error }, 'could not listen');
  await shutdown('listen-failed');
}
