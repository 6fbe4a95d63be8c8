import { DrizzleQueryError } from 'drizzle-orm/errors';

// Errors from queries, made safe to log and easy to classify.

interface PostgresErrorFields {
  code?: unknown;
  message?: unknown;
}

/** The innermost error in the cause chain that carries a PostgreSQL SQLSTATE code. */
function postgresCause(error: unknown): PostgresErrorFields | undefined {
  let found: PostgresErrorFields | undefined;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (typeof (e as PostgresErrorFields).code === 'string') found = e as PostgresErrorFields;
  }
  return found;
}

/**
 * The code of the innermost error in the cause chain that has one: a PostgreSQL
 * SQLSTATE ('23505'), postgres.js's own ('CONNECTION_CLOSED') or Node's ('ECONNREFUSED').
 */
export function errorCode(error: unknown): string | undefined {
  const code = postgresCause(error)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the error, or any error in its cause chain, is a unique violation (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return errorCode(error) === '23505';
}

const UNREACHABLE_CODES = new Set([
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // Node's sockets and DNS
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The database could not answer now, and asking again later may succeed: it is
 * unreachable, shutting down or starting (SQLSTATE classes 08, 53, 57, 58), or the
 * transaction lost a serialization race or a deadlock (class 40). Anything else (a
 * refused row, a missing privilege, a bug) is not a reason to try again.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return false;
  if (UNREACHABLE_CODES.has(code)) return true;
  return /^(08|40|53|57|58)[0-9A-Z]{3}$/.test(code);
}

/** True when the error, or any error in its cause chain, is Drizzle's query error. */
export function isQueryError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof DrizzleQueryError) return true;
  }
  return false;
}

/**
 * Drizzle's query errors quote the statement's parameters (`Failed query: …\nparams: …`),
 * a token's ciphertext among them, and PostgreSQL's `detail` may quote the failing row.
 * Keeps only PostgreSQL's SQLSTATE code and message; the result carries the same `code`
 * so `isUniqueViolation` still answers on it. `doing` names the operation ("Rotating
 * credentials"); without it the message starts with "Query".
 */
export function withoutQueryParameters(error: unknown, doing = 'Query'): Error & { code?: string } {
  const pg = postgresCause(error);
  const sanitized: Error & { code?: string } = new Error(
    `${doing} failed${pg ? `: ${String(pg.code)} ${String(pg.message)}` : ''}`,
  );
  if (pg) sanitized.code = String(pg.code);
  return sanitized;
}

/**
 * Runs a whole transaction again when PostgreSQL aborted it to break a deadlock
 * (40P01). Deleting a connection cascades to its webhook events while the worker,
 * holding some of those events, waits on the connection row: one of the two is
 * aborted, and the statement is safe to repeat.
 */
export async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (errorCode(error) !== '40P01' || attempt >= attempts) throw error;
    }
  }
}
