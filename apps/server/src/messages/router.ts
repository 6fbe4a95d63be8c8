import {
  isTemplateSend,
  listMessagesInput,
  sendMessageInput,
  whatsappMessage,
  whatsappMessagePage,
} from '@app/contracts';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { protectedProcedure } from '../trpc/trpc.ts';
import { listConversation } from './list-conversation.ts';
import { sendWhatsappMessage } from './send-message.ts';

export const messagesRouter = {
  /** A connection's conversation, newest first; `nextCursor` reads older messages. Members and admins. */
  list: protectedProcedure
    .input(listMessagesInput)
    .output(whatsappMessagePage)
    .query(({ ctx, input }) => ctx.asUser((tx) => listConversation(tx, input))),

  /** Sends a WhatsApp message through the connection's Twilio account. Members and admins. */
  send: protectedProcedure
    .input(sendMessageInput)
    .output(whatsappMessage)
    .mutation(({ ctx, input }) => {
      // Template sends arrive in the next commit.
      if (isTemplateSend(input))
        throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Templates are not available yet.' });
      return sendWhatsappMessage({
        services: ctx.services,
        sender: ctx.user,
        message: input,
        log: ctx.req.log,
      });
    }),
} satisfies TRPCRouterRecord;
