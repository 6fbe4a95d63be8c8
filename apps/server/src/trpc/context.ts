import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import { resolveSessionUser, type SessionUser } from '../auth/session.ts';
import type { AppServices } from '../services.ts';
import type { ProcedureRateLimiter } from './rate-limits.ts';

export interface Context {
  req: CreateFastifyContextOptions['req'];
  res: CreateFastifyContextOptions['res'];
  services: AppServices;
  rateLimiter: ProcedureRateLimiter;
  /** The signed-in user, or null. Resolved from the session cookie once per request. */
  user: SessionUser | null;
}

export function createContextFactory(services: AppServices, rateLimiter: ProcedureRateLimiter) {
  return async ({ req, res }: CreateFastifyContextOptions): Promise<Context> => ({
    req,
    res,
    services,
    rateLimiter,
    user: await resolveSessionUser(services, req),
  });
}
