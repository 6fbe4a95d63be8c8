import { listTemplatesInput, whatsappTemplateList } from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { protectedProcedure } from '../trpc/trpc.ts';
import { listTemplates } from './list-templates.ts';

export const templatesRouter = {
  /** The connection's WhatsApp templates with their approval; cached a minute, `refresh` asks Twilio again. Members and admins. */
  list: protectedProcedure
    .input(listTemplatesInput)
    .output(whatsappTemplateList)
    .query(({ ctx, input }) =>
      listTemplates({
        services: ctx.services,
        user: ctx.user,
        connectionId: input.connectionId,
        refresh: input.refresh,
      }),
    ),
} satisfies TRPCRouterRecord;
