import {
  deliverySummary,
  deliverySummaryInput,
  listEventsInput,
  retryEventInput,
  webhookEvent,
} from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure } from '../trpc/trpc.ts';
import { deliverySummaryOf, listDeliveryLog, retrierNames, retryFailedEvent } from './delivery-log.ts';
import { presentEvent } from './present.ts';

/**
 * `whatsapp.events.*`: a connection's delivery log, for troubleshooting. Admins only,
 * as RLS has it (a member would just see an empty list; FORBIDDEN says why). Another
 * organization's connection or event is NOT_FOUND.
 */
export const eventsRouter = {
  /** Stored events, newest first; optional filters and `before` paging (without them, as before). */
  list: adminProcedure
    .input(listEventsInput)
    .output(z.array(webhookEvent))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.asUser((tx) => listDeliveryLog(tx, input));
      const retriers = await retrierNames(ctx.services.db, ctx.user.organizationId, rows);
      return rows.map((row) => presentEvent(row, retriers));
    }),

  /** The last 24 hours' deliveries by verdict, and the last refused deliveries. */
  summary: adminProcedure
    .input(deliverySummaryInput)
    .output(deliverySummary)
    .query(({ ctx, input }) => ctx.asUser((tx) => deliverySummaryOf(tx, input.connectionId))),

  /** A failed event back to the worker, recorded with who and when. */
  retry: adminProcedure
    .input(retryEventInput)
    .output(webhookEvent)
    .mutation(async ({ ctx, input }) => {
      const row = await ctx.asUser((tx) => retryFailedEvent(tx, input.id, ctx.user.userId));
      const retriers = await retrierNames(ctx.services.db, ctx.user.organizationId, [row]);
      return presentEvent(row, retriers);
    }),
} satisfies TRPCRouterRecord;
