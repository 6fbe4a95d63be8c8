import { listMessagesInput, sendMessageInput, whatsappMessage, whatsappMessagePage } from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { protectedProcedure } from '../trpc/trpc.ts';
import { listConversation } from './list-conversation.ts';
import { sendWhatsappMessage } from './send-message.ts';

export const messagesRouter = {
  /**
   * A connection's messages, newest first, or one customer's (`customer`);
   * `nextCursor` reads older messages. Members and admins.
   */
  list: protectedProcedure
    .input(listMessagesInput)
    .output(whatsappMessagePage)
    .query(({ ctx, input }) => ctx.asUser((tx) => listConversation(tx, input))),

  /**
   * Sends free text (inside the customer's 24-hour window) or an approved
   * template (at any time) through the connection's Twilio account. Members and admins.
   */
  send: protectedProcedure
    .input(sendMessageInput)
    .output(whatsappMessage)
    .mutation(({ ctx, input }) =>
      sendWhatsappMessage({ services: ctx.services, sender: ctx.user, message: input, log: ctx.req.log }),
    ),
} satisfies TRPCRouterRecord;
