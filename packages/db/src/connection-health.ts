import { eq, sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { twilioWhatsappWebhookEvents as events } from './schema.ts';

// What the stored webhook events say about a connection's health: counts in a window
// and the last deliveries. Run as service_role after the caller's own RLS read of the
// connection proved it is theirs (members may see these figures, not the events).

export interface WebhookEventFigures {
  /** Posted by Twilio and stored since `since` (a repeat is stored once, so counted once). */
  accepted: number;
  /** Stored since `since` (or settled since then) and failed in the worker. */
  processingFailed: number;
  /** Read back from Twilio's Messages API by reconciliation since `since`. */
  recovered: number;
  /** The last inbound message and status callback Twilio posted (any time), and the later of the two. */
  lastInboundAt: Date | null;
  lastStatusCallbackAt: Date | null;
  lastDeliveryAt: Date | null;
}

/** One statement over the connection's events (the (connection_id, created_at) index bounds it). */
export async function webhookEventFigures(
  tx: Tx,
  connectionId: string,
  since: Date,
): Promise<WebhookEventFigures> {
  // As text: postgres.js does not serialise a Date bound inside a raw fragment.
  const from = sql`${since.toISOString()}::timestamptz`;
  const fromTwilio = sql`${events.source} = 'webhook'`;
  const inWindow = sql`${events.createdAt} >= ${from}`;
  const [row] = await tx
    .select({
      accepted: sql<number>`count(*) filter (where ${fromTwilio} and ${inWindow})::int`,
      processingFailed: sql<number>`count(*) filter (where ${events.status} = 'failed' and coalesce(${events.processedAt}, ${events.createdAt}) >= ${from})::int`,
      recovered: sql<number>`count(*) filter (where ${events.source} = 'reconciliation' and ${inWindow})::int`,
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
  return {
    accepted: row?.accepted ?? 0,
    processingFailed: row?.processingFailed ?? 0,
    recovered: row?.recovered ?? 0,
    lastInboundAt,
    lastStatusCallbackAt,
    lastDeliveryAt,
  };
}
