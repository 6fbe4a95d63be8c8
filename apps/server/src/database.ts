import path from 'node:path';
import type { Env } from '@app/config';
import { createDatabase } from '@app/db';
import { startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';

export interface OpenedDatabase {
  url: string;
  /** Stops the embedded PostgreSQL, if this process started one. */
  stopEmbedded: () => Promise<void>;
}

/** DATABASE_URL, or an embedded PostgreSQL with its data under DATA_DIR/pg. */
export async function resolveDatabaseUrl(env: Env, log: (m: string) => void): Promise<OpenedDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stopEmbedded: async () => {} };
  const dataDir = path.join(env.DATA_DIR, 'pg');
  log(
    `DATABASE_URL is not set: starting embedded PostgreSQL (data in ${dataDir}, port ${env.EMBEDDED_PG_PORT})`,
  );
  const pg = await startEmbeddedPostgres({ dataDir, port: env.EMBEDDED_PG_PORT, log });
  return { url: pg.url, stopEmbedded: pg.stop };
}

export async function openDatabase(url: string, log: (m: string) => void, max = 20) {
  await applyMigrations(url, { log });
  return createDatabase(url, { max });
}
