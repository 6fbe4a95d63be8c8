import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import { resolveSessionUser, type SessionUser } from '../auth/session.ts';
import type { AppServices } from '../services.ts';

export interface Context {
  req: CreateFastifyContextOptions['req'];
  res: CreateFastifyContextOptions['res'];
  services: AppServices;
  /** The signed-in user, or null. Resolved from the session cookie once per request. */
  user: SessionUser | null;
}

export function createContextFactory(services: AppServices) {
  return async ({ req, res }: CreateFastifyContextOptions): Promise<Context> => ({
    req,
    res,
    services,
    user: await resolveSessionUser(services, req),
  });
}
