import { sql as dsql } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';
import { SWITCH_TO_SERVICE_ROLE } from './service-role.ts';

export type Schema = typeof schema;
export type Database = PostgresJsDatabase<Schema> & { $client: postgres.Sql };
/** The transaction object handed to withUser / withServiceRole callbacks. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseOptions {
  /** Pool size (postgres.js `max`). */
  max?: number;
  /** Tag shown in pg_stat_activity. */
  applicationName?: string;
}

/** A postgres.js pool and a Drizzle instance over it. `close()` ends the pool. */
export function createDatabase(url: string, options: DatabaseOptions = {}) {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'twilio-whatsapp' },
    // A dead database must surface as an error quickly, not as a hung request.
    connect_timeout: 5,
  });
  const db = drizzle(client, { schema }) as Database;
  return { db, client, close: () => client.end({ timeout: 5 }) };
}

/** The claims our server sets for a signed-in user; shaped like Supabase's JWT claims. */
export interface UserClaims {
  sub: string;
  role: 'authenticated';
  email?: string;
}

/**
 * Runs `fn` in one transaction as the given user: `SET LOCAL ROLE authenticated`
 * and `request.jwt.claims`, both as bound parameters, so every statement inside is
 * subject to row-level security exactly as that user.
 */
export function withUser<T>(db: Database, claims: UserClaims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      dsql`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`,
    );
    return fn(tx);
  });
}

/**
 * Runs `fn` in one Drizzle transaction as `service_role` (bypasses RLS): sign-up,
 * rotation, the connect flow. The same switch as a switching ServiceRole's.
 */
export function withServiceRole<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(dsql.raw(SWITCH_TO_SERVICE_ROLE));
    return fn(tx);
  });
}
