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
