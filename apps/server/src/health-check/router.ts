import { canManageConnections, connectionHealth, connectionIdInput } from '@app/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { findConnection } from '../connections/store.ts';
import { protectedProcedure } from '../trpc/trpc.ts';
import { checkConnectionHealth } from './check-health.ts';

/**
 * `whatsapp.connections.health`: every member may read it. Repair is
 * `whatsapp.connections.configureWebhooks` (owners and admins), unchanged.
 */
export const healthCheckRouter = {
  health: protectedProcedure
    .input(connectionIdInput)
    .output(connectionHealth)
    .query(async ({ ctx, input }) => {
      // The caller's own read (RLS) proves the connection is theirs: another
      // organization's is NOT_FOUND, exactly like one that does not exist.
      const row = await ctx.asUser((tx) => findConnection(tx, input.id));
      // Repair is adminProcedure's: offered to whom that procedure lets through.
      return checkConnectionHealth(ctx.services, row, { canRepair: canManageConnections(ctx.user) });
    }),
} satisfies TRPCRouterRecord;
