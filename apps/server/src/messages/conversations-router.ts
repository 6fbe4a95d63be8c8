import { listConversationsInput, whatsappConversationList } from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { protectedProcedure } from '../trpc/trpc.ts';
import { listConversations } from './list-conversations.ts';

export const conversationsRouter = {
  /** One row per customer: last message, unread count, and when their 24-hour window closes. Members and admins. */
  list: protectedProcedure
    .input(listConversationsInput)
    .output(whatsappConversationList)
    .query(({ ctx, input }) => ctx.asUser((tx) => listConversations(tx, input))),
} satisfies TRPCRouterRecord;
