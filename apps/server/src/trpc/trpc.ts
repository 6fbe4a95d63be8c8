import { type Tx, withUser } from '@app/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import type { SessionUser } from '../auth/session.ts';
import type { Context } from './context.ts';

/**
 * A field-level error: where in the form the person should look. Procedures throw
 * `new TRPCError({ code, message, cause: new FieldError('authToken') })`.
 */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message = field,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

const t = initTRPC.context<Context>().create({
  // Never a stack trace to the client, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    let fieldErrors: Record<string, string[]> | undefined;
    if (cause instanceof ZodError) {
      fieldErrors = z.flattenError(cause).fieldErrors as Record<string, string[]>;
    } else if (cause instanceof FieldError) {
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
export const publicProcedure = t.procedure;

/** Runs `fn` in one transaction as the signed-in user, under row-level security. */
export type RlsRunner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  const user = ctx.user;
  if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  const rls: RlsRunner = (fn) =>
    withUser(ctx.services.db, { sub: user.userId, role: 'authenticated', email: user.email }, fn);
  return next({ ctx: { ...ctx, user: user as SessionUser, rls } });
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
