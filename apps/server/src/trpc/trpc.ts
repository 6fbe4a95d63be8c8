import type { Tx } from '@app/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import { asUser } from '../auth/acting-user.ts';
import { DomainError } from '../domain-error.ts';
import type { Context } from './context.ts';
import { asTRPCError } from './domain-errors.ts';

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
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw asTRPCError(result.error);
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  const user = ctx.user;
  if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  /** Runs `fn` in one transaction as the signed-in user, under row-level security. */
  const rls = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => asUser(ctx.services.db, user, fn);
  return next({ ctx: { ...ctx, user, rls } });
});

/**
 * Owners and admins only. Mirrors the "Admins can manage …" policies; RLS stays
 * the backstop if a check here is ever wrong.
 */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'owner' && ctx.user.role !== 'admin') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Only owners and admins of your organization can do this. Ask one of them.',
    });
  }
  return next();
});
