import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import { resolveSessionUser, type SessionUser } from '../auth/session.ts';
import type { AppServices } from '../services.ts';
import type { ProcedureRateLimiter } from './rate-limits.ts';

export interface Context {
  req: CreateFastifyContextOptions['req'];
  res: CreateFastifyContextOptions['res'];
  services: AppServices;
  rateLimiter: ProcedureRateLimiter;
  /**
   * The signed-in user, or null: read from the session cookie on first call, at most
   * once per request. Lazy, so a request the origin guard or a rate limit refuses
   * costs no database round trip.
   */
  sessionUser(): Promise<SessionUser | null>;
}

export function createContextFactory(services: AppServices, rateLimiter: ProcedureRateLimiter) {
  return async ({ req, res }: CreateFastifyContextOptions): Promise<Context> => {
    let user: Promise<SessionUser | null> | undefined;
    return {
      req,
      res,
      services,
      rateLimiter,
      sessionUser: () => {
        user ??= resolveSessionUser(services, req);
        return user;
      },
    };
  };
}
