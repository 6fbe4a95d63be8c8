import type { DeliverySummary, EventOutcome, ListEventsInput } from '@app/contracts';
import {
  countDeliveriesByVerdict,
  type Database,
  twilioWhatsappWebhookEvents as events,
  listRefusedDeliveries,
  type Tx,
  WEBHOOK_EVENTS_PENDING_CHANNEL,
} from '@app/db';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { DomainError } from '../domain-error.ts';
import { displayNamesOf } from './people.ts';
import { eventOutcomeOf } from './present.ts';
import { findConnection } from './store.ts';

// The delivery log of a connection: its stored events (filtered, newest first,
// paged), what the intake counted and refused, and the retry of a failed event.
// Everything runs in the caller's RLS transaction: admins of the organization see
// their rows, and the database allows them exactly one write (the retry policy in
// migrations/20261201_delivery_log.sql).

/** The window the log's counts cover. */
export const SUMMARY_WINDOW_MS = 24 * 60 * 60_000;

export class EventNotFoundError extends DomainError {
  readonly kind = 'not_found';

  constructor() {
    super('No such webhook event in your organization.');
  }
}

const outcomeWords: Record<EventOutcome, string> = {
  applied: 'already applied',
  pending: 'waiting for the worker already',
  retrying: 'being retried by the worker already',
  failed: 'failed',
};

/** Only a failed event goes back to the worker. */
export class EventNotRetryableError extends DomainError {
  readonly kind = 'invalid';

  constructor(outcome: EventOutcome) {
    super(`Only a failed event can be retried; this one is ${outcomeWords[outcome]}.`);
  }
}

function outcomeCondition(outcome: EventOutcome): SQL {
  switch (outcome) {
    case 'applied':
      return sql`${events.status} = 'processed'`;
    case 'failed':
      return sql`${events.status} = 'failed'`;
    case 'pending':
      return sql`${events.status} = 'pending' and ${events.attempts} = 0`;
    case 'retrying':
      return sql`${events.status} = 'pending' and ${events.attempts} > 0`;
  }
}

/**
 * A page of a connection's events, newest first (ties broken by id), filtered by
 * outcome, source and type; `before` continues after that event. Its filters are
 * optional: without them, the newest `limit` events as the list always gave.
 */
export async function listDeliveryLog(
  tx: Tx,
  input: Required<Pick<ListEventsInput, 'connectionId' | 'limit'>> & Omit<ListEventsInput, 'limit'>,
) {
  await findConnection(tx, input.connectionId);
  const conditions: SQL[] = [eq(events.connectionId, input.connectionId)];
  if (input.outcome) conditions.push(outcomeCondition(input.outcome));
  if (input.source) conditions.push(eq(events.source, input.source));
  if (input.eventType) conditions.push(eq(events.eventType, input.eventType));
  if (input.before)
    // The row's own created_at, compared in the database: microseconds a Date would drop are kept.
    conditions.push(sql`(${events.createdAt}, ${events.id}) < (
      select b.created_at, b.id from ${events} b
      where b.id = ${input.before} and b.connection_id = ${input.connectionId})`);
  return tx
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(input.limit);
}

/** Display names of the people who retried events, for `retriedBy` (the organization's own only). */
export function retrierNames(
  db: Database,
  organizationId: string,
  rows: readonly { retriedBy: string | null }[],
): Promise<Map<string, string>> {
  return displayNamesOf(
    db,
    rows.flatMap((r) => (r.retriedBy === null ? [] : [r.retriedBy])),
    [organizationId],
  );
}

/**
 * Sends a failed event back to the worker: pending, due now, attempts reset, with who
 * and when; the worker is woken at commit. NOT_FOUND for an event the caller cannot
 * see; BAD_REQUEST for one that has not failed.
 */
export async function retryFailedEvent(tx: Tx, eventId: string, userId: string) {
  const [retried] = await tx
    .update(events)
    .set({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: sql`now()`,
      retriedBy: userId,
      retriedAt: sql`now()`,
    })
    .where(and(eq(events.id, eventId), eq(events.status, 'failed')))
    .returning();
  if (retried) {
    await tx.execute(sql`select pg_notify(${WEBHOOK_EVENTS_PENDING_CHANNEL}, '')`);
    return retried;
  }
  const [seen] = await tx
    .select({ status: events.status, attempts: events.attempts })
    .from(events)
    .where(eq(events.id, eventId))
    .limit(1);
  if (!seen) throw new EventNotFoundError();
  throw new EventNotRetryableError(eventOutcomeOf(seen));
}

/** The last 24 hours' deliveries by verdict, and the kept refused deliveries, newest first. */
export async function deliverySummaryOf(tx: Tx, connectionId: string): Promise<DeliverySummary> {
  await findConnection(tx, connectionId);
  const since = new Date(Date.now() - SUMMARY_WINDOW_MS);
  const counts = await countDeliveriesByVerdict(tx, connectionId, since);
  const refused = await listRefusedDeliveries(tx, connectionId);
  return {
    since: since.toISOString(),
    counts,
    refused: refused.map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString() })),
  };
}
