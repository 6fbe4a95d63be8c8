import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { procedurePaths, trpcErrorBody } from './http-error.ts';

export interface RateLimit {
  /** Calls allowed per client IP in the window. */
  max: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/** Per-procedure limits by client IP; procedures not listed are not limited. */
export type ProcedureRateLimits = Record<string, RateLimit>;

/** Guessing passwords, creating accounts and hammering Twilio through us are the abuses worth stopping. */
export const defaultProcedureRateLimits: ProcedureRateLimits = {
  'auth.signIn': { max: 10, windowMs: 60_000 },
  'auth.signUp': { max: 5, windowMs: 60_000 },
  'whatsapp.connections.create': { max: 20, windowMs: 60_000 },
};

/**
 * An onRequest hook for /trpc: every limited procedure named in the request (a
 * batch counts each call) spends one from that procedure's per-IP budget; past
 * it, 429 with a tRPC-shaped error and Retry-After. Needs @fastify/rate-limit
 * registered (global: false) on `app`.
 */
export function procedureRateLimiter(app: FastifyInstance, limits: ProcedureRateLimits) {
  const limiters = new Map(
    Object.entries(limits).map(([path, limit]) => [
      path,
      app.createRateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (req) => `${path}|${req.ip}`,
      }),
    ]),
  );
  return async (req: FastifyRequest, reply: FastifyReply) => {
    for (const path of procedurePaths(req)) {
      const limiter = limiters.get(path);
      if (!limiter) continue;
      const result = await limiter(req);
      if (!result.isAllowed && result.isExceeded) {
        req.log.warn({ path }, 'rate limit reached');
        return reply
          .code(429)
          .header('retry-after', String(result.ttlInSeconds))
          .send(
            trpcErrorBody(
              req,
              'TOO_MANY_REQUESTS',
              429,
              `Too many attempts. Wait ${result.ttlInSeconds} seconds and try again.`,
            ),
          );
      }
    }
  };
}
