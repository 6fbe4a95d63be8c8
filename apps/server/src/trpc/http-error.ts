import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyRequest } from 'fastify';

/** The procedure names a /trpc request calls (`a.b,c.d` when batched). */
export function procedurePaths(req: FastifyRequest): string[] {
  const pathname = req.url.split('?', 1)[0] ?? '';
  const rest = pathname.startsWith('/trpc/') ? pathname.slice('/trpc/'.length) : '';
  return decodeURIComponent(rest).split(',').filter(Boolean);
}

function isBatch(req: FastifyRequest): boolean {
  const query = req.url.split('?', 2)[1] ?? '';
  return new URLSearchParams(query).get('batch') === '1';
}

/**
 * An error answered before tRPC runs (origin check, rate limit), shaped as tRPC
 * shapes its own so the client shows `message` like any other procedure error.
 */
export function trpcErrorBody(
  req: FastifyRequest,
  code: TRPC_ERROR_CODE_KEY,
  httpStatus: number,
  message: string,
) {
  const paths = procedurePaths(req);
  const one = (path: string | undefined) => ({
    error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus, path } },
  });
  return isBatch(req) ? paths.map(one) : one(paths[0]);
}
