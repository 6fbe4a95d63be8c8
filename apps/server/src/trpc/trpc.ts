import { canManageConnections } from '@app/contracts';
import type { Tx } from '@app/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import { asUser } from '../auth/acting-user.ts';
import { DomainError, type DomainErrorKind } from '../domain-error.ts';
import type { Context } from './context.ts';
import { asTRPCError } from './domain-errors.ts';
import { isCrossSiteMutation } from './origin-guard.ts';
import type { RateLimitKey } from './rate-limits.ts';

const t = initTRPC.context<Context>().create({
  // Never a stack trace to the client, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    let fieldErrors: Record<string, string[]> | undefined;
    if (cause instanceof ZodError) {
      fieldErrors = z.flattenError(cause).fieldErrors as Record<string, string[]>;
    } else if (cause instanceof DomainError && cause.field !== undefined) {
      fieldErrors = { [cause.field]: [error.message] };
    }
    const message =
      cause instanceof ZodError
        ? (cause.issues[0]?.message ?? 'Some fields need attention.')
        : error.code === 'INTERNAL_SERVER_ERROR'
          ? 'Something went wrong on our side. Try again in a minute.'
          : shape.message;
    return {
      ...shape,
      message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, fieldErrors },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Services throw domain errors; every procedure reports them with their API code. */
const mapDomainErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (!result.ok) {
    const error = asTRPCError(result.error);
    // A third party (Twilio) that hung, failed or could not be reached is the operator's
    // business too: one warning line, with the sentence the person read (never a secret).
    if (error.cause instanceof DomainError && thirdPartyFailures.has(error.cause.kind))
      ctx.req.log.warn(
        { path, kind: error.cause.kind, reason: error.cause.message },
        'procedure: Twilio failed',
      );
    throw error;
  }
  return result;
});
const thirdPartyFailures = new Set<DomainErrorKind>(['unavailable', 'upstream_failed', 'outcome_unknown']);

/** Refuses a mutation sent from another site before the procedure runs (see isCrossSiteMutation). */
const refuseCrossSite = t.middleware(({ ctx, next }) => {
  if (isCrossSiteMutation(ctx.req, ctx.services.publicUrl)) {
    ctx.req.log.warn(
      { origin: ctx.req.headers.origin, fetchSite: ctx.req.headers['sec-fetch-site'] },
      'refused a cross-origin mutation',
    );
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'This request came from another site and was refused.',
    });
  }
  return next();
});

/** Spends one call from the procedure's `per` budgets; past one, TOO_MANY_REQUESTS with Retry-After. */
async function spendRateLimit(ctx: Context, path: string, per: RateLimitKey, key: string): Promise<void> {
  const waitSeconds = await ctx.rateLimiter.spend(path, per, key);
  if (waitSeconds === null) return;
  ctx.req.log.warn({ path, per }, 'rate limit reached');
  ctx.res.header('retry-after', String(waitSeconds));
  throw new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `Too many attempts. Wait ${waitSeconds} seconds and try again.`,
  });
}

const limitPerIp = t.middleware(async ({ ctx, path, next }) => {
  await spendRateLimit(ctx, path, 'ip', ctx.req.ip);
  return next();
});

/**
 * Spends the call's `email` input (normalized by its contract) from the
 * procedure's per-email budgets. Put it after `.input(...)`: it needs the parsed input.
 */
export const limitPerEmail = t.middleware(async ({ ctx, path, input, next }) => {
  const email = typeof input === 'object' && input !== null && 'email' in input ? input.email : undefined;
  if (typeof email === 'string') await spendRateLimit(ctx, path, 'email', email);
  return next();
});

/** Every procedure: domain errors mapped, cross-site mutations refused, per-IP budgets spent. */
export const publicProcedure = t.procedure.use(mapDomainErrors).use(refuseCrossSite).use(limitPerIp);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.sessionUser();
  if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  /** Runs `fn` in one transaction as the signed-in user, under row-level security. */
  const asSignedInUser = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => asUser(ctx.services.db, user, fn);
  return next({ ctx: { ...ctx, user, asUser: asSignedInUser } });
});

/** Owners and admins only (canManageConnections). */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!canManageConnections(ctx.user)) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Only owners and admins of your organization can do this. Ask one of them.',
    });
  }
  return next();
});
