import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { DomainError, type DomainErrorKind } from '../domain-error.ts';

/** The one mapping from what went wrong to the API's error code. */
const codeByKind = {
  invalid: 'BAD_REQUEST',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  unmet_condition: 'PRECONDITION_FAILED',
  rate_limited: 'TOO_MANY_REQUESTS',
  unavailable: 'SERVICE_UNAVAILABLE',
  upstream_failed: 'BAD_GATEWAY',
  outcome_unknown: 'GATEWAY_TIMEOUT',
} as const satisfies Record<DomainErrorKind, TRPC_ERROR_CODE_KEY>;

/**
 * A domain error as tRPC reports it: same message, its code from the kind, and
 * the domain error as cause (the error formatter reads its `field`).
 */
export function domainErrorToTRPCError(error: DomainError): TRPCError {
  return new TRPCError({ code: codeByKind[error.kind], message: error.message, cause: error });
}

/**
 * tRPC wraps what a procedure throws as INTERNAL_SERVER_ERROR with the thrown
 * error as cause; a domain error becomes the error its kind says instead.
 */
export function asTRPCError(error: TRPCError): TRPCError {
  return error.code === 'INTERNAL_SERVER_ERROR' && error.cause instanceof DomainError
    ? domainErrorToTRPCError(error.cause)
    : error;
}
