import {
  type DeliveryCounts,
  type DeliveryVerdict,
  deliveryVerdicts,
  type IntakeVerdict,
  type RefusedVerdict,
  type WebhookEventType,
} from '@app/contracts';
import { sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { bare, preparedStatement, type Queryable } from './prepared.ts';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappDeliveryCounts as counts,
  twilioWhatsappWebhookEvents as events,
  twilioWhatsappRefusedDeliveries as refused,
} from './schema.ts';

// The delivery log's statistics: deliveries counted per connection, minute and
// verdict, and the last refused deliveries of each connection. The intake writes
// them in one statement every few seconds (flushDeliveryLog, as service_role);
// admins read them through RLS (countDeliveriesByVerdict, lastRefusedRuns,
// listRefusedDeliveries, with the user's transaction).

/** Refused deliveries kept per connection; older ones are pruned. */
export const REFUSED_DELIVERIES_KEPT = 50;

/** One minute's count of one verdict for one connection, as the intake tallied it. */
export interface DeliveryCountDelta {
  connectionId: string;
  /** The minute's start, epoch ms. */
  minuteMs: number;
  verdict: IntakeVerdict;
  count: number;
}

/** A refused delivery as the intake saw it: no body, no signature, no token. */
export interface NewRefusedDelivery {
  connectionId: string;
  receivedMs: number;
  eventType: WebhookEventType;
  verdict: RefusedVerdict;
  sourceIp: string | null;
  reason: string;
}

type FlushValues = {
  countConnectionIds: string[];
  countMinutes: number[];
  countVerdicts: string[];
  countValues: number[];
  refusedConnectionIds: string[];
  refusedTimes: number[];
  refusedEventTypes: string[];
  refusedVerdicts: string[];
  refusedIps: (string | null)[];
  refusedReasons: string[];
};

// Both inserts join the connections table: a delivery to an id that names no
// connection is dropped here (it stays on /metrics), and a connection deleted since
// the tally cannot fail the statement. The tally's keys are unique per
// (connection, minute, verdict), so one row is never updated twice. The counts'
// insert runs as a CTE, which PostgreSQL executes to completion whether or not
// anything reads it; nobody needs what either insert wrote, so neither returns it.
const flush = preparedStatement<FlushValues, Record<string, never>>(sql`
  with counted as (
    insert into ${counts} (${bare(counts.connectionId)}, ${bare(counts.minute)}, ${bare(counts.verdict)}, ${bare(counts.count)})
    select c.id, to_timestamp(u.minute_ms / 1000.0), u.verdict, u.n
    from unnest(
      ${sql.placeholder('countConnectionIds')}::uuid[],
      ${sql.placeholder('countMinutes')}::float8[],
      ${sql.placeholder('countVerdicts')}::text[],
      ${sql.placeholder('countValues')}::int[]
    ) as u(connection_id, minute_ms, verdict, n)
    join ${connections} c on c.id = u.connection_id
    on conflict (${bare(counts.connectionId)}, ${bare(counts.minute)}, ${bare(counts.verdict)})
    do update set ${bare(counts.count)} = ${counts.count} + excluded.${bare(counts.count)}
  )
  insert into ${refused} (${bare(refused.connectionId)}, ${bare(refused.receivedAt)}, ${bare(refused.eventType)},
    ${bare(refused.verdict)}, ${bare(refused.sourceIp)}, ${bare(refused.reason)})
  select c.id, to_timestamp(u.received_ms / 1000.0), u.event_type, u.verdict, u.source_ip, u.reason
  from unnest(
    ${sql.placeholder('refusedConnectionIds')}::uuid[],
    ${sql.placeholder('refusedTimes')}::float8[],
    ${sql.placeholder('refusedEventTypes')}::text[],
    ${sql.placeholder('refusedVerdicts')}::text[],
    ${sql.placeholder('refusedIps')}::text[],
    ${sql.placeholder('refusedReasons')}::text[]
  ) as u(connection_id, received_ms, event_type, verdict, source_ip, reason)
  join ${connections} c on c.id = u.connection_id
`);

/**
 * Writes a tally of counts and refused deliveries in ONE statement (run as
 * service_role). Counts add to what the minute already has, so several server
 * processes flush into the same rows.
 */
export async function flushDeliveryLog(
  on: Queryable,
  deltas: readonly DeliveryCountDelta[],
  refusedDeliveries: readonly NewRefusedDelivery[],
): Promise<void> {
  if (deltas.length === 0 && refusedDeliveries.length === 0) return;
  await flush(on, {
    countConnectionIds: deltas.map((d) => d.connectionId),
    countMinutes: deltas.map((d) => d.minuteMs),
    countVerdicts: deltas.map((d) => d.verdict),
    countValues: deltas.map((d) => d.count),
    refusedConnectionIds: refusedDeliveries.map((r) => r.connectionId),
    refusedTimes: refusedDeliveries.map((r) => r.receivedMs),
    refusedEventTypes: refusedDeliveries.map((r) => r.eventType),
    refusedVerdicts: refusedDeliveries.map((r) => r.verdict),
    refusedIps: refusedDeliveries.map((r) => r.sourceIp),
    refusedReasons: refusedDeliveries.map((r) => r.reason),
  });
}

/** Every verdict at 0. */
export function emptyDeliveryCounts(): DeliveryCounts {
  return Object.fromEntries(deliveryVerdicts.map((v) => [v, 0])) as DeliveryCounts;
}

/**
 * A connection's deliveries since `since`, by verdict (every verdict present, 0 when
 * none). The intake's verdicts are counted per minute, so the window starts at the
 * minute `since` falls in; processingFailed counts events the worker gave up on in the
 * window, recovered the events reconciliation stored in it. Run in the user's
 * transaction: RLS shows an admin their organization's rows only (a member, or another
 * organization, reads all zeros).
 */
export async function countDeliveriesByVerdict(
  tx: Tx,
  connectionId: string,
  since: Date,
): Promise<Record<DeliveryVerdict, number>> {
  const sinceIso = since.toISOString();
  const rows = await tx.execute<{ verdict: DeliveryVerdict; n: number }>(sql`
    select ${counts.verdict} as verdict, sum(${counts.count})::int as n
    from ${counts}
    where ${counts.connectionId} = ${connectionId}
      and ${counts.minute} >= date_trunc('minute', ${sinceIso}::timestamptz)
    group by ${counts.verdict}
    union all
    select 'processingFailed', count(*)::int from ${events}
    where ${events.connectionId} = ${connectionId} and ${events.status} = 'failed'
      and ${events.processedAt} >= ${sinceIso}::timestamptz
    union all
    select 'recovered', count(*)::int from ${events}
    where ${events.connectionId} = ${connectionId} and ${events.source} = 'reconciliation'
      and ${events.createdAt} >= ${sinceIso}::timestamptz
  `);
  const result = emptyDeliveryCounts();
  for (const row of rows) result[row.verdict] += Number(row.n);
  return result;
}

/** A run of refused deliveries of one verdict: its first and last, and the last one's details. */
export interface RefusedRun {
  verdict: RefusedVerdict;
  /** The first refused delivery of the run (after the last accepted or repeated one before it). */
  firstAt: Date;
  /** The latest refused delivery of this verdict. */
  lastAt: Date;
  sourceIp: string | null;
  reason: string;
  /** No accepted or repeated delivery since lastAt (to the minute): the run goes on. */
  ongoing: boolean;
}

/**
 * The latest run of refused deliveries of each of `verdicts` for a connection, in ONE
 * statement: "Twilio's requests have failed the signature check since 10:42". A
 * verdict with nothing kept is absent from the answer. A run is bounded by accepted or
 * repeated deliveries, which are counted per minute, so its bounds are exact to the
 * minute. Its first delivery may have been pruned from the last 50; the per-minute
 * counts then give its minute. Run in the user's transaction (RLS: admins of the
 * organization) or as the service role.
 */
export async function lastRefusedRuns<V extends RefusedVerdict>(
  tx: Tx,
  connectionId: string,
  verdicts: readonly V[],
): Promise<Partial<Record<V, RefusedRun>>> {
  if (verdicts.length === 0) return {};
  const wanted = sql.join(
    verdicts.map((v) => sql`${v}`),
    sql`, `,
  );
  const rows = await tx.execute<{
    verdict: V;
    firstAt: string;
    lastAt: string;
    sourceIp: string | null;
    reason: string;
    ongoing: boolean;
  }>(sql`
    with latest as (
      select w.verdict, l.received_at, l.source_ip, l.reason
      from unnest(array[${wanted}]::text[]) as w(verdict)
      cross join lateral (
        select ${refused.receivedAt} as received_at, ${refused.sourceIp} as source_ip, ${refused.reason} as reason
        from ${refused}
        where ${refused.connectionId} = ${connectionId} and ${refused.verdict} = w.verdict
        order by ${refused.receivedAt} desc, ${refused.id} desc
        limit 1
      ) l
    )
    select
      latest.verdict,
      -- The listed delivery's exact time, unless the counts show the run began in an
      -- earlier minute (its first deliveries pruned from the list): then that minute.
      -- listed is never null: latest itself is in it (good_before is a minute start
      -- before latest's minute, so latest falls at or after the minute following it).
      case when firsts.counted < date_trunc('minute', firsts.listed) then firsts.counted else firsts.listed end
        as "firstAt",
      latest.received_at as "lastAt",
      latest.source_ip as "sourceIp",
      latest.reason as reason,
      not exists (
        select 1 from ${counts}
        where ${counts.connectionId} = ${connectionId}
          and ${counts.verdict} in ('accepted', 'repeated')
          and ${counts.minute} > date_trunc('minute', latest.received_at)
      ) as ongoing
    from latest
    cross join lateral (
      -- The last minute with a good delivery before the latest refused one's minute.
      select max(${counts.minute}) as minute from ${counts}
      where ${counts.connectionId} = ${connectionId}
        and ${counts.verdict} in ('accepted', 'repeated')
        and ${counts.minute} < date_trunc('minute', latest.received_at)
    ) good_before
    cross join lateral (
      select
        (select min(${refused.receivedAt}) from ${refused}
         where ${refused.connectionId} = ${connectionId} and ${refused.verdict} = latest.verdict
           and (good_before.minute is null or ${refused.receivedAt} >= good_before.minute + interval '1 minute'))
          as listed,
        (select min(${counts.minute}) from ${counts}
         where ${counts.connectionId} = ${connectionId} and ${counts.verdict} = latest.verdict
           and (good_before.minute is null or ${counts.minute} > good_before.minute))
          as counted
    ) firsts
  `);
  const runs: Partial<Record<V, RefusedRun>> = {};
  for (const row of rows) {
    runs[row.verdict] = {
      verdict: row.verdict,
      firstAt: new Date(row.firstAt),
      lastAt: new Date(row.lastAt),
      sourceIp: row.sourceIp,
      reason: row.reason,
      ongoing: row.ongoing,
    };
  }
  return runs;
}

/** A kept refused delivery, as the log lists it. */
export interface StoredRefusedDelivery {
  id: string;
  receivedAt: Date;
  eventType: WebhookEventType;
  verdict: RefusedVerdict;
  sourceIp: string | null;
  reason: string;
}

/** A connection's kept refused deliveries, newest first (RLS: admins of the organization). */
export async function listRefusedDeliveries(
  tx: Tx,
  connectionId: string,
  limit = REFUSED_DELIVERIES_KEPT,
): Promise<StoredRefusedDelivery[]> {
  return tx
    .select({
      id: refused.id,
      receivedAt: refused.receivedAt,
      eventType: refused.eventType,
      verdict: refused.verdict,
      sourceIp: refused.sourceIp,
      reason: refused.reason,
    })
    .from(refused)
    .where(sql`${refused.connectionId} = ${connectionId}`)
    .orderBy(sql`${refused.receivedAt} desc, ${refused.id} desc`)
    .limit(limit);
}

/** Arbitrary constant, distinct from the events' pruning lock: one process prunes the log at a time. */
const PRUNE_DELIVERY_LOG_LOCK = 7_310_442_013;

const pruneLog = preparedStatement<
  { countsMs: number; kept: number },
  { counts: number; refused: number }
>(sql`
  with locked as (
    select pg_try_advisory_xact_lock(${PRUNE_DELIVERY_LOG_LOCK}) as ok
  ), old_counts as (
    delete from ${counts}
    where (select ok from locked)
      and ${counts.minute} < now() - ${sql.placeholder('countsMs')}::float8 * interval '1 millisecond'
    returning 1
  ), beyond as (
    select id from (
      select ${refused.id} as id,
             row_number() over (partition by ${refused.connectionId}
                                order by ${refused.receivedAt} desc, ${refused.id} desc) as n
      from ${refused}
    ) ranked
    where n > ${sql.placeholder('kept')}::int
  ), old_refused as (
    delete from ${refused}
    where (select ok from locked) and ${refused.id} in (select id from beyond)
    returning 1
  )
  select (select count(*)::int from old_counts) as counts, (select count(*)::int from old_refused) as refused
`);

/**
 * Deletes counts older than `retain.countsMs` and every refused delivery beyond the
 * newest `retain.kept` of its connection, in one statement; skipped (zeros) while
 * another process prunes. Run as service_role.
 */
export async function pruneDeliveryLog(
  on: Queryable,
  retain: { countsMs: number; kept?: number },
): Promise<{ counts: number; refused: number }> {
  const [row] = await pruneLog(on, {
    countsMs: retain.countsMs,
    kept: retain.kept ?? REFUSED_DELIVERIES_KEPT,
  });
  return { counts: row?.counts ?? 0, refused: row?.refused ?? 0 };
}
