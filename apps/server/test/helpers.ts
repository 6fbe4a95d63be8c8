import { useTestDatabase } from '@app/db/vitest';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildServer, type ServerOptions } from '../src/server.ts';

export const TEST_PUBLIC_URL = new URL('http://127.0.0.1:3000');

/**
 * A server on a fresh migrated database for the calling test file. Read `.app` and
 * `.db` inside tests or hooks.
 */
export function useTestServer(overrides: () => Partial<ServerOptions> = () => ({})) {
  const database = useTestDatabase();
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    app = await buildServer({
      db: database.db,
      sql: database.db.$client,
      publicUrl: TEST_PUBLIC_URL,
      sessionSecret: 'test-session-secret-0123456789abcdef',
      logLevel: 'silent',
      ...overrides(),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });
  return {
    get app() {
      if (!app) throw new Error('useTestServer: read .app inside a test or hook');
      return app;
    },
    get db() {
      return database.db;
    },
    get databaseUrl() {
      return database.url;
    },
  };
}
