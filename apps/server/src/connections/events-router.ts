import { listEventsInput, webhookEvent } from '@app/contracts';
import { twilioWhatsappWebhookEvents as events } from '@app/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { adminProcedure } from '../trpc/trpc.ts';
import { presentEvent } from './present.ts';
import { findConnection } from './store.ts';

/**
 * `whatsapp.events.*`: a connection's recent webhook events, for troubleshooting.
 * Admins only, as RLS has it (a member would just see an empty list; FORBIDDEN
 * says why). Another organization's connection is NOT_FOUND.
 */
export const eventsRouter = {
  list: adminProcedure
    .input(listEventsInput)
    .output(z.array(webhookEvent))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.asUser(async (tx) => {
        await findConnection(tx, input.connectionId);
        return tx
          .select()
          .from(events)
          .where(eq(events.connectionId, input.connectionId))
          .orderBy(desc(events.createdAt), desc(events.id))
          .limit(input.limit);
      });
      return rows.map((row) => presentEvent(row));
    }),
} satisfies TRPCRouterRecord;
