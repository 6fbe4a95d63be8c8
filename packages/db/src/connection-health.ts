import { eq, sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { twilioWhatsappWebhookEvents as events } from './schema.ts';

// When Twilio last delivered to a connection, from its stored events. Run as
// service_role after the caller's own RLS read of the connection proved it is theirs
// (members may see these times, not the events). The counts by verdict are the
// delivery log's (countDeliveriesByVerdict).

export interface LastWebhookDeliveries {
  /** The last inbound message and status callback Twilio posted that were stored, and the later of the two. */
  lastInboundAt: Date | null;
  lastStatusCallbackAt: Date | null;
  lastDeliveryAt: Date | null;
}

/** One statement over the connection's events (the (connection_id, created_at) index bounds it). */
export async function lastWebhookDeliveries(tx: Tx, connectionId: string): Promise<LastWebhookDeliveries> {
  const fromTwilio = sql`${events.source} = 'webhook'`;
  const [row] = await tx
    .select({
      lastInboundAt:
        sql<Date | null>`max(${events.createdAt}) filter (where ${fromTwilio} and ${events.eventType} = 'message')`.mapWith(
          events.createdAt,
        ),
      lastStatusCallbackAt:
        sql<Date | null>`max(${events.createdAt}) filter (where ${fromTwilio} and ${events.eventType} = 'status')`.mapWith(
          events.createdAt,
        ),
    })
    .from(events)
    .where(eq(events.connectionId, connectionId));
  const lastInboundAt = row?.lastInboundAt ?? null;
  const lastStatusCallbackAt = row?.lastStatusCallbackAt ?? null;
  const lastDeliveryAt =
    lastInboundAt === null || lastStatusCallbackAt === null
      ? (lastInboundAt ?? lastStatusCallbackAt)
      : new Date(Math.max(lastInboundAt.getTime(), lastStatusCallbackAt.getTime()));
  return { lastInboundAt, lastStatusCallbackAt, lastDeliveryAt };
}
