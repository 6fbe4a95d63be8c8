import postgres from 'postgres';
import type { Queryable } from './prepared.ts';

/** Switches the current transaction to service_role (withServiceRole and a switching ServiceRole). */
export const SWITCH_TO_SERVICE_ROLE = "select set_config('role', 'service_role', true)";

export interface ServiceRolePoolOptions {
  max?: number;
  applicationName?: string;
}

/**
 * The one way the server acts as service_role (bypassing RLS) on the webhook path.
 * Made once: either a pool whose connections log in as service_role (the startup
 * parameter `role`, which PostgreSQL applies like SET ROLE at login: no extra round
 * trip per transaction), or any pool of a login that is a member of service_role,
 * switching role in each transaction. The handle knows which; callers never ask.
 */
export class ServiceRole {
  private constructor(
    /** The pool; LISTEN connections are opened from its options too. */
    readonly sql: postgres.Sql,
    private readonly loggedIn: boolean,
    private readonly ownsPool: boolean,
  ) {}

  /** A pool of its own whose connections are service_role from login (the login must be a member). */
  static openPool(url: string, options: ServiceRolePoolOptions = {}): ServiceRole {
    const sql = postgres(url, {
      max: options.max ?? 6,
      onnotice: () => {},
      connect_timeout: 5,
      // postgres.js waits up to 20 s between reconnects after failures, holding every
      // query meanwhile. Retrying every quarter second instead means that while the
      // database is down a delivery gets its 503 at once, and that intake resumes
      // within moments of the database coming back.
      backoff: () => 0.25,
      connection: {
        application_name: options.applicationName ?? 'twilio-whatsapp-webhooks',
        role: 'service_role',
      },
    });
    return new ServiceRole(sql, true, true);
  }

  /** Over an existing pool (not ended by close()): each transaction switches role. */
  static switchingOn(sql: postgres.Sql): ServiceRole {
    return new ServiceRole(sql, false, false);
  }

  /** Runs `fn` in one transaction as service_role. */
  transaction<T>(fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx) => {
      if (!this.loggedIn) await tx.unsafe(SWITCH_TO_SERVICE_ROLE);
      return fn(tx);
    }) as Promise<T>;
  }

  /** Runs `fn` (one statement) as service_role: on the pool when it logs in as such, else in a transaction. */
  run<T>(fn: (on: Queryable) => Promise<T>): Promise<T> {
    return this.loggedIn ? fn(this.sql) : this.transaction(fn);
  }

  /** Ends the pool if the handle opened it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.sql.end({ timeout: 5 });
  }
}
