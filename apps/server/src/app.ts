import path from 'node:path';
import { type Env, repoRoot } from '@app/config';
import { ServiceRole } from '@app/db';
import { createTwilioAdapter } from '@app/twilio';
import type { FastifyInstance } from 'fastify';
import { type RuntimeConfig, resolveRuntimeConfig } from './config.ts';
import { type OpenedDatabase, openDatabase, resolveDatabaseUrl } from './database.ts';
import { Metrics } from './observability/metrics.ts';
import { buildServer } from './server.ts';
import { CredentialVault } from './vault/credential-vault.ts';

export interface StartAppOptions {
  env: Env;
  /** Boot messages, before the server's own logger exists. */
  log: (message: string) => void;
  /** The PostgreSQL to use. Default: DATABASE_URL, else the embedded one under DATA_DIR/pg. */
  database?: OpenedDatabase;
  /** Where Twilio REST calls go. Default: TWILIO_API_BASE_URL, else Twilio itself. */
  twilioApiBaseUrl?: string;
  logLevel?: string;
}

export interface RunningApp {
  app: FastifyInstance;
  config: RuntimeConfig;
  /** Drains requests and the worker, closes the pools, stops embedded PostgreSQL. */
  close(): Promise<void>;
}

/**
 * The server as `pnpm start` runs it, listening on HOST:PORT: runtime secrets,
 * PostgreSQL with migrations applied, the service-role pool for webhooks and the
 * worker, the Twilio adapter and the built SPA. `pnpm demo` starts the same thing
 * with its own database and the simulator as Twilio.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const { env, log } = options;
  const config = await resolveRuntimeConfig(env, (m) => log(`warning: ${m}`));
  const pg = options.database ?? (await resolveDatabaseUrl(env, log));
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase(pg.url, log);
  } catch (error) {
    await pg.stopEmbedded();
    throw new Error(`could not prepare the database: ${(error as Error).message}`);
  }

  // Webhook intake and worker: connections that are service_role from login.
  const serviceRole = ServiceRole.openPool(pg.url);
  const twilioApiBaseUrl = options.twilioApiBaseUrl ?? env.TWILIO_API_BASE_URL;
  const metrics = new Metrics({ processMetrics: true });
  const twilioCalls = metrics.counter('twilio_api_calls_total', 'Twilio REST API calls by outcome', [
    'outcome',
  ]);

  const app = await buildServer({
    db: database.db,
    sql: database.client,
    publicUrl: config.publicUrl,
    sessionSecret: config.sessionSecret,
    logLevel: options.logLevel ?? env.LOG_LEVEL,
    webDistDir: path.join(repoRoot, 'apps/web/dist'),
    vault: new CredentialVault(config.credentialsEncryptionKeys),
    twilio: createTwilioAdapter({
      ...(twilioApiBaseUrl ? { apiBaseUrl: twilioApiBaseUrl } : {}),
      onApiCall: (outcome) => twilioCalls.inc({ outcome }),
    }),
    metrics,
    serviceRole,
    // The worker in its own thread: its batches stay off the intake's event loop.
    worker: { enabled: true, thread: { databaseUrl: pg.url } },
    trustProxy: env.TRUST_PROXY,
  });

  const close = async () => {
    await app.close();
    await serviceRole.close();
    await database.close();
    await pg.stopEmbedded();
  };

  try {
    await app.listen({ port: env.PORT, host: env.HOST });
  } catch (error) {
    app.log.error({ err: error }, 'could not listen');
    await close();
    throw error;
  }
  return { app, config, close };
}
