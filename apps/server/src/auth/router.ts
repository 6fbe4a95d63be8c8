import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc/trpc.ts';

export const authRouter = {
  me: publicProcedure.query(({ ctx }) => ctx.user && { ...ctx.user, sessionId: undefined }),
} satisfies TRPCRouterRecord;
