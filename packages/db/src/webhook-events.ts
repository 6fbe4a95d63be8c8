import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { bare, preparedStatement, type Queryable } from './prepared.ts';
import {
  twilioWhatsappWebhookEvents as events,
  type TwilioWhatsappWebhookEvent,
  type WebhookEventSource,
  type WebhookEventStatus,
  type WebhookEventType,
} from './schema.ts';

// The webhook event queue: the intake's batch insert, the worker's claim and
// settle, and pruning. Each is one statement.

/** NOTIFY channel the intake signals after a commit that stored new events (wakes the worker). */
export const WEBHOOK_EVENTS_PENDING_CHANNEL = 'twilio_webhook_events_pending';

/**
 * The payloads of a batch travel as ONE text parameter, joined by the ASCII record
 * separator (U+001E), which JSON.stringify never emits unescaped: the database
 * splits it with string_to_array. As a text[] parameter, every quote in every
 * payload would be escaped in JavaScript, element by element.
 */
const PAYLOAD_SEPARATOR = '\u001e';

/** A verified delivery, ready to be stored. */
export type NewWebhookEvent = Pick<
  TwilioWhatsappWebhookEvent,
  'connectionId' | 'messageSid' | 'eventType' | 'messageStatus' | 'idempotencyKey' | 'payloadHash'
> & {
  /** The payload as JSON text (stored as jsonb): serialised once, by the intake. */
  payloadJson: string;
};

/**
 * The key a delivery is stored once under: 'message:<MessageSid>' for an inbound
 * message, 'status:<MessageSid>:<MessageStatus>' for a status callback (FIX 2 in
 * the migration). Webhooks and reconciliation build it here, so the same message
 * or status from either is one event.
 */
export function webhookEventIdempotencyKey(
  eventType: TwilioWhatsappWebhookEvent['eventType'],
  messageSid: string,
  messageStatus: string | null,
): string {
  return eventType === 'message' ? `message:${messageSid}` : `status:${messageSid}:${messageStatus ?? ''}`;
}

/** What was new in a batch, by connection and idempotency key. */
export type StoredWebhookEventKey = Pick<TwilioWhatsappWebhookEvent, 'connectionId' | 'idempotencyKey'>;

type InsertBatchValues = {
  connectionIds: string[];
  messageSids: string[];
  eventTypes: WebhookEventType[];
  messageStatuses: (string | null)[];
  idempotencyKeys: string[];
  payloads: string;
  payloadHashes: (string | null)[];
};

/** The batch insert, with its source as a constant: one prepared statement per source. */
function insertBatchFrom(source: WebhookEventSource) {
  // A literal from a closed set of constants, not a value from outside.
  const sourceLiteral = sql.raw(`'${source}'::text`);
  return preparedStatement<InsertBatchValues, StoredWebhookEventKey>(sql`
  with ins as (
    insert into ${events} (${bare(events.connectionId)}, ${bare(events.messageSid)}, ${bare(events.eventType)},
      ${bare(events.messageStatus)}, ${bare(events.idempotencyKey)}, ${bare(events.payload)}, ${bare(events.payloadHash)},
      ${bare(events.source)})
    select *, ${sourceLiteral} from unnest(
      ${sql.placeholder('connectionIds')}::uuid[],
      ${sql.placeholder('messageSids')}::text[],
      ${sql.placeholder('eventTypes')}::text[],
      ${sql.placeholder('messageStatuses')}::text[],
      ${sql.placeholder('idempotencyKeys')}::text[],
      string_to_array(${sql.placeholder('payloads')}::text, ${PAYLOAD_SEPARATOR})::jsonb[],
      ${sql.placeholder('payloadHashes')}::text[]
    )
    on conflict (${bare(events.connectionId)}, ${bare(events.idempotencyKey)}) do nothing
    returning ${events.connectionId}::text as "connectionId", ${events.idempotencyKey} as "idempotencyKey"
  )
  -- The NOTIFY is part of the same transaction: it is delivered at commit, once
  -- per batch, and only when something new was stored.
  select "connectionId", "idempotencyKey",
         (select pg_notify(${WEBHOOK_EVENTS_PENDING_CHANNEL}, '')) is null as notified
  from ins
`);
}

const insertBatch = {
  webhook: insertBatchFrom('webhook'),
  reconciliation: insertBatchFrom('reconciliation'),
};

/**
 * Stores a batch in one statement (`on conflict do nothing` on the idempotency
 * key) and NOTIFYs WEBHOOK_EVENTS_PENDING_CHANNEL in it when anything was new.
 * Returns the keys of the rows that were new. `source` 'reconciliation': events read
 * back from Twilio's Messages API, under the same idempotency keys as the webhooks'.
 */
export async function insertWebhookEvents(
  on: Queryable,
  rows: readonly NewWebhookEvent[],
  source: WebhookEventSource = 'webhook',
): Promise<StoredWebhookEventKey[]> {
  return insertBatch[source](on, {
    connectionIds: rows.map((r) => r.connectionId),
    messageSids: rows.map((r) => r.messageSid),
    eventTypes: rows.map((r) => r.eventType),
    messageStatuses: rows.map((r) => r.messageStatus),
    idempotencyKeys: rows.map((r) => r.idempotencyKey),
    payloads: rows.map((r) => r.payloadJson).join(PAYLOAD_SEPARATOR),
    payloadHashes: rows.map((r) => r.payloadHash),
  });
}

/** A claimed event: what the worker needs to apply it. */
export type ClaimedWebhookEvent = Pick<
  TwilioWhatsappWebhookEvent,
  'id' | 'connectionId' | 'eventType' | 'messageSid' | 'messageStatus' | 'payload' | 'attempts' | 'source'
> & {
  /** created_at as epoch milliseconds (a number whatever the pool's date parsing). */
  createdMs: number;
};

/** Due pending events, oldest due first, locked for this transaction (FOR UPDATE SKIP LOCKED). */
export function claimDueWebhookEventsQuery(limit: number | SQLWrapper): SQL {
  return sql`
    select ${events.id}, ${events.connectionId} as "connectionId", ${events.eventType} as "eventType",
           ${events.messageSid} as "messageSid", ${events.messageStatus} as "messageStatus",
           ${events.payload}, ${events.attempts}, ${events.source},
           (extract(epoch from ${events.createdAt}) * 1000)::float8 as "createdMs"
    from ${events}
    where ${events.status} = 'pending' and ${events.nextAttemptAt} <= now()
    order by ${events.nextAttemptAt}
    limit ${limit}
    for update skip locked
  `;
}

const claimDue = preparedStatement<{ limit: number }, ClaimedWebhookEvent>(
  claimDueWebhookEventsQuery(sql.placeholder('limit')),
);

/**
 * Claims up to `limit` due pending events for the caller's transaction: any number
 * of workers can claim at once, and each event goes to one of them.
 */
export async function claimDueWebhookEvents(on: Queryable, limit: number): Promise<ClaimedWebhookEvent[]> {
  return claimDue(on, { limit });
}

/** How a claimed event leaves its transaction. */
export interface WebhookEventSettlement {
  id: string;
  /** 'pending' with a delay: tried again then. */
  status: WebhookEventStatus;
  delayMs: number;
  attemptsAdded: number;
  error: string | null;
}

const settleBatch = preparedStatement<
  {
    ids: string[];
    statuses: WebhookEventStatus[];
    delays: number[];
    attemptsAdded: number[];
    errors: (string | null)[];
  },
  { lagSeconds: number | null }
>(sql`
  update ${events}
  set ${bare(events.status)} = u.status,
      ${bare(events.attempts)} = ${events.attempts} + u.attempts_added,
      ${bare(events.nextAttemptAt)} = case when u.status = 'pending'
        then now() + u.delay_ms * interval '1 millisecond' else ${events.nextAttemptAt} end,
      ${bare(events.processedAt)} = case when u.status = 'pending' then null else now() end,
      ${bare(events.errorMessage)} = u.error
  from unnest(
    ${sql.placeholder('ids')}::uuid[],
    ${sql.placeholder('statuses')}::text[],
    ${sql.placeholder('delays')}::int[],
    ${sql.placeholder('attemptsAdded')}::int[],
    ${sql.placeholder('errors')}::text[]
  ) as u(id, status, delay_ms, attempts_added, error)
  where ${events.id} = u.id
  -- The lag as the database sees it (processed_at - created_at), one clock.
  returning case when ${events.status} = 'processed'
    then extract(epoch from ${events.processedAt} - ${events.createdAt})::float8 end as "lagSeconds"
`);

/**
 * Settles claimed events in one statement; returns, for each processed one, the
 * seconds from intake to processing.
 */
export async function settleWebhookEvents(
  on: Queryable,
  settlements: readonly WebhookEventSettlement[],
): Promise<number[]> {
  const rows = await settleBatch(on, {
    ids: settlements.map((s) => s.id),
    statuses: settlements.map((s) => s.status),
    delays: settlements.map((s) => s.delayMs),
    attemptsAdded: settlements.map((s) => s.attemptsAdded),
    errors: settlements.map((s) => s.error),
  });
  return rows.flatMap((r) => (r.lagSeconds === null ? [] : [r.lagSeconds]));
}

/** Arbitrary constant: the advisory lock that lets one process prune at a time. */
const PRUNE_LOCK = 7_310_442_001;

const tryPruneLock = preparedStatement<Record<string, never>, { ok: boolean }>(
  sql`select pg_try_advisory_xact_lock(${PRUNE_LOCK}) as ok`,
);

/** Takes the pruning lock for the caller's transaction; false if another process holds it. */
export async function tryLockPruning(on: Queryable): Promise<boolean> {
  const [row] = await tryPruneLock(on, {});
  return row?.ok === true;
}

/** Rows deleted per pruning statement. */
export const PRUNE_BATCH = 1000;

const pruneBatch = preparedStatement<{ processedMs: number; failedMs: number }, Record<string, never>>(sql`
  delete from ${events}
  where ${events.id} in (
    select ${events.id} from ${events}
    where (${events.status} = 'processed'
           and ${events.processedAt} < now() - ${sql.placeholder('processedMs')} * interval '1 millisecond')
       or (${events.status} = 'failed'
           and ${events.processedAt} < now() - ${sql.placeholder('failedMs')} * interval '1 millisecond')
    limit ${PRUNE_BATCH}
  )
`);

/**
 * Deletes up to PRUNE_BATCH processed and failed events older than their
 * retention (pending events are never pruned); returns how many.
 */
export async function pruneWebhookEvents(
  on: Queryable,
  retain: { processedMs: number; failedMs: number },
): Promise<number> {
  return (await pruneBatch(on, retain)).count;
}

const countPending = preparedStatement<Record<string, never>, { n: number }>(
  sql`select count(*)::int as n from ${events} where ${events.status} = 'pending'`,
);

/** Events waiting to be processed. */
export async function countPendingWebhookEvents(on: Queryable): Promise<number> {
  const [row] = await countPending(on, {});
  return row?.n ?? 0;
}
