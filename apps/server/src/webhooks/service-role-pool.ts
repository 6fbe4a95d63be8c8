import postgres from 'postgres';

/**
 * A pool whose every connection runs as service_role from the start (the startup
 * parameter `role`, which PostgreSQL applies like `SET ROLE` at login): the webhook
 * intake and the worker then need no SET ROLE round trip per transaction. The login
 * role must be a member of service_role.
 */
export function openServiceRolePool(url: string, max = 6): postgres.Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    // postgres.js waits up to 20 s between reconnects after failures, holding every
    // query meanwhile. Retrying every quarter second instead means that while the
    // database is down a delivery gets its 503 at once, and that intake resumes
    // within moments of the database coming back.
    backoff: () => 0.25,
    connection: { application_name: 'twilio-whatsapp-webhooks', role: 'service_role' },
  });
}

/**
 * A transaction as service_role: on a pool from openServiceRolePool the connection
 * already is; otherwise (a login that is a member of service_role) the role is
 * switched for this transaction only.
 */
export function serviceRoleTransaction<T>(
  sql: postgres.Sql,
  runsAsServiceRole: boolean,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return sql.begin(async (tx) => {
    if (!runsAsServiceRole) await tx`select set_config('role', 'service_role', true)`;
    return fn(tx);
  }) as Promise<T>;
}

/** Runs `fn` as service_role: directly on a service-role pool, else in a transaction that switches role. */
export function asServiceRole<T>(
  sql: postgres.Sql,
  runsAsServiceRole: boolean,
  fn: (sql: postgres.Sql | postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return runsAsServiceRole ? fn(sql) : serviceRoleTransaction(sql, false, fn);
}
