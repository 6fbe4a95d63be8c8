import { connectionIdInput, syncConnectionResult } from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { ConnectionDisconnectedError } from '../connections/errors.ts';
import { findConnection } from '../connections/store.ts';
import { adminProcedure } from '../trpc/trpc.ts';

/** `whatsapp.connections.sync`: reconcile one connection with Twilio now (owners and admins). */
export const syncRouter = {
  sync: adminProcedure
    .input(connectionIdInput)
    .output(syncConnectionResult)
    .mutation(async ({ ctx, input }) => {
      // The caller's own read (RLS) proves the connection is theirs: another
      // organization's is NOT_FOUND, exactly like one that does not exist.
      const connection = await ctx.asUser((tx) => findConnection(tx, input.id));
      // Its token is erased: there is nothing to ask Twilio with.
      if (connection.disconnectedAt) throw new ConnectionDisconnectedError();
      const result = await ctx.services.reconciliation.reconcileConnection(input.id);
      ctx.req.log.info({ connectionId: input.id, trigger: 'on_demand', ...result }, 'reconciled with Twilio');
      return result;
    }),
} satisfies TRPCRouterRecord;
