import { env } from '@app/config';
import { afterAll, beforeAll, inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { createDatabase, type Database } from './client.ts';
import { createTestDatabase, startTestCluster, type TestDatabase } from './testing.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgCluster: { adminUrl: string; template: string };
  }
}

/** Vitest globalSetup: one migrated cluster for the whole run (embedded, or DATABASE_URL's). */
export default async function setup(project: TestProject) {
  const cluster = await startTestCluster(env().DATABASE_URL);
  project.provide('pgCluster', { adminUrl: cluster.adminUrl, template: cluster.template });
  return () => cluster.stop();
}

export interface TestDatabaseHandle {
  /** The database's URL (connects as the cluster's owner role). */
  readonly url: string;
  /** A Drizzle instance over a pool on it, closed after the file's tests. */
  readonly db: Database;
}

/**
 * A fresh, migrated database for the calling test file: created before its tests,
 * dropped after. Read the properties inside tests or hooks, not at import time.
 */
export function useTestDatabase(): TestDatabaseHandle {
  let database: TestDatabase | undefined;
  let pool: ReturnType<typeof createDatabase> | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('pgCluster'));
    pool = createDatabase(database.url, { max: 8 });
  });
  afterAll(async () => {
    await pool?.close();
    await database?.drop();
  });
  return {
    get url() {
      if (!database) throw new Error('useTestDatabase: read .url inside a test or hook');
      return database.url;
    },
    get db() {
      if (!pool) throw new Error('useTestDatabase: read .db inside a test or hook');
      return pool.db;
    },
  };
}
