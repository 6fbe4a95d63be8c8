import { signInInput, signUpInput } from '@app/contracts';
import { users, withServiceRole } from '@app/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { limitPerEmail, publicProcedure } from '../trpc/trpc.ts';
import { createOrganizationWithOwner } from './members.ts';
import { passwordHashForUnknownUser, verifyPassword } from './password.ts';
import { endSession, loadSignedInUser, type SessionUser, startSession } from './session.ts';

/** What the SPA learns about the signed-in person: these fields, copied one by one, never more. */
export type Me = Pick<SessionUser, 'userId' | 'email' | 'organizationId' | 'organizationName' | 'role'>;

const toMe = (user: SessionUser): Me => ({
  userId: user.userId,
  email: user.email,
  organizationId: user.organizationId,
  organizationName: user.organizationName,
  role: user.role,
});

/** One message for an unknown email and a wrong password: sign-in must not reveal accounts. */
const SIGN_IN_REFUSED = "That email and password don't match.";

export const authRouter = {
  me: publicProcedure.query(async ({ ctx }): Promise<Me | null> => {
    const user = await ctx.sessionUser();
    return user ? toMe(user) : null;
  }),

  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }): Promise<Me> => {
    const created = await createOrganizationWithOwner(ctx.services.db, input);
    await endSession(ctx.services, ctx.req, ctx.res);
    await startSession(ctx.services, ctx.res, created.userId);
    return toMe(await loadSignedInUser(ctx.services.db, created.userId));
  }),

  signIn: publicProcedure
    .input(signInInput)
    .use(limitPerEmail)
    .mutation(async ({ ctx, input }): Promise<Me> => {
      const [user] = await withServiceRole(ctx.services.db, (tx) =>
        tx
          .select({ id: users.id, encryptedPassword: users.encryptedPassword })
          .from(users)
          .where(sql`lower(${users.email}) = ${input.email}`)
          .limit(1),
      );
      const stored = user?.encryptedPassword ?? (await passwordHashForUnknownUser());
      const matches = await verifyPassword(input.password, stored);
      if (!user?.encryptedPassword || !matches) {
        throw new TRPCError({ code: 'UNAUTHORIZED', message: SIGN_IN_REFUSED });
      }
      // Whatever session the browser held before is over: a new token at every sign-in.
      await endSession(ctx.services, ctx.req, ctx.res);
      await startSession(ctx.services, ctx.res, user.id);
      return toMe(await loadSignedInUser(ctx.services.db, user.id));
    }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    await endSession(ctx.services, ctx.req, ctx.res);
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
