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

/** True when the error, or any error in its cause chain, is a unique violation (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return postgresCause(error)?.code === '23505';
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
