import { TRPCClientError } from '@trpc/client';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** What the server's error formatter adds to every tRPC error (apps/server/src/trpc/trpc.ts). */
interface ServerErrorData {
  code?: string;
  httpStatus?: number;
  fieldErrors?: Record<string, string[] | undefined>;
}

function dataOf(error: unknown): ServerErrorData | undefined {
  return error instanceof TRPCClientError ? (error.data as ServerErrorData | undefined) : undefined;
}

/**
 * Splits a failed mutation into messages per form field (the server's
 * `fieldErrors`) and one message for the alert region (anything not tied to a field).
 */
export function splitServerError<F extends string>(
  error: unknown,
  fields: readonly F[],
): { fieldErrors: FieldErrors<F>; formError: string | null } {
  const fieldErrors: FieldErrors<F> = {};
  const serverFields = dataOf(error)?.fieldErrors ?? {};
  for (const field of fields) {
    const first = serverFields[field]?.[0];
    if (first) fieldErrors[field] = first;
  }
  const placed = Object.keys(fieldErrors).length > 0;
  return { fieldErrors, formError: placed ? null : messageOf(error) };
}

/** A sentence a person can act on, whatever failed. */
export function messageOf(error: unknown): string {
  if (error instanceof TRPCClientError) {
    if (!dataOf(error) && /fetch|network/i.test(error.message)) {
      return 'We could not reach the server. Check your connection and try again.';
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong. Try again.';
}

export function isUnauthorized(error: unknown): boolean {
  return dataOf(error)?.code === 'UNAUTHORIZED';
}
