import { sql } from 'drizzle-orm';
import { preparedStatement, type Queryable } from './prepared.ts';
import {
  twilioWhatsappConnections as connections,
  type MessageStatus,
  twilioWhatsappMessages as messages,
  type TwilioWhatsappConnection,
} from './schema.ts';

// Reconciliation with Twilio's Messages API: the per-connection lease (one run at a
// time across server processes), the window's bookkeeping, and the outbound
// messages whose status is not final. Each is one statement, run as service_role.
// No statement here is ever held open across a call to Twilio.

/**
 * What a reconciliation needs of its connection: who it is, its encrypted token, and
 * its senders (a Messaging Service's as Twilio listed them at the last connect or verify).
 */
export type ReconciliationConnection = Pick<
  TwilioWhatsappConnection,
  | 'id'
  | 'organizationId'
  | 'twilioAccountSid'
  | 'whatsappNumber'
  | 'messagingServiceSid'
  | 'messagingServiceSenders'
> & { twilioAuthTokenHash: string };

/** A lease taken: the connection, the database's clock, and the lease as its token. */
export interface ReconciliationLease extends ReconciliationConnection {
  /**
   * The lease's end as the database wrote it, as text: microseconds kept (a driver
   * turning it into a Date would drop them, and the lease would never match again);
   * proves the lease is ours. Sent back typed as text for the same reason.
   */
  lease: string;
  /** The end of the last complete window, epoch ms; null: never reconciled. */
  lastReconciledMs: number | null;
  /** The database's now(), epoch ms: every process measures windows on one clock. */
  nowMs: number;
  /** When the connection was made, epoch ms: where a first reconciliation starts. */
  createdMs: number;
}

const connectionFields = sql`
  ${connections.id}, ${connections.organizationId} as "organizationId",
  ${connections.twilioAccountSid} as "twilioAccountSid",
  ${connections.twilioAuthTokenHash} as "twilioAuthTokenHash",
  ${connections.whatsappNumber} as "whatsappNumber",
  ${connections.messagingServiceSid} as "messagingServiceSid",
  ${connections.messagingServiceSenders} as "messagingServiceSenders"`;

const takeLease = preparedStatement<{ id: string; leaseMs: number }, ReconciliationLease>(sql`
  update ${connections}
  set reconcile_lease_until = now() + ${sql.placeholder('leaseMs')} * interval '1 millisecond'
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.disconnectedAt} is null and ${connections.twilioAuthTokenHash} is not null
    and (${connections.reconcileLeaseUntil} is null or ${connections.reconcileLeaseUntil} < now())
  returning ${connectionFields},
    ${connections.reconcileLeaseUntil}::text as lease,
    (extract(epoch from ${connections.lastReconciledAt}) * 1000)::float8 as "lastReconciledMs",
    (extract(epoch from now()) * 1000)::float8 as "nowMs",
    (extract(epoch from ${connections.createdAt}) * 1000)::float8 as "createdMs"
`);

const connectionExists = preparedStatement<{ id: string }, { id: string }>(sql`
  select ${connections.id} from ${connections}
  where ${connections.id} = ${sql.placeholder('id')} and ${connections.disconnectedAt} is null
`);

/**
 * Takes the connection's reconciliation lease for `leaseMs` when nobody holds it (or
 * the holder's lease ran out: a process that died mid-run). 'busy': another run
 * holds it; 'missing': no such connection, or a disconnected one (no token to ask Twilio with).
 */
export async function takeReconciliationLease(
  on: Queryable,
  id: string,
  leaseMs: number,
): Promise<ReconciliationLease | 'busy' | 'missing'> {
  const [taken] = await takeLease(on, { id, leaseMs });
  if (taken) return taken;
  const [exists] = await connectionExists(on, { id });
  return exists ? 'busy' : 'missing';
}

const renewLease = preparedStatement<{ id: string; lease: string; leaseMs: number }, { lease: string }>(sql`
  update ${connections}
  set reconcile_lease_until = now() + ${sql.placeholder('leaseMs')} * interval '1 millisecond'
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.reconcileLeaseUntil} = ${sql.placeholder('lease')}::text::timestamptz
  returning ${connections.reconcileLeaseUntil}::text as lease
`);

/** Extends a lease still ours; undefined when it ran out and another run took it. */
export async function renewReconciliationLease(
  on: Queryable,
  id: string,
  lease: string,
  leaseMs: number,
): Promise<string | undefined> {
  const [row] = await renewLease(on, { id, lease, leaseMs });
  return row?.lease;
}

const releaseLease = preparedStatement<
  { id: string; lease: string; reconciledUntilMs: number | null },
  { id: string }
>(sql`
  update ${connections}
  set reconcile_lease_until = null,
      last_reconciled_at = coalesce(
        to_timestamp(${sql.placeholder('reconciledUntilMs')}::float8 / 1000), ${connections.lastReconciledAt})
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.reconcileLeaseUntil} = ${sql.placeholder('lease')}::text::timestamptz
  returning ${connections.id}
`);

/**
 * Ends a run: frees the lease and, after a complete window, records its end
 * (`reconciledUntilMs`; null after a failure). A lease that ran out and was taken
 * by another run is left alone. Returns whether the lease was still ours.
 */
export async function releaseReconciliationLease(
  on: Queryable,
  id: string,
  lease: string,
  reconciledUntilMs: number | null,
): Promise<boolean> {
  return (await releaseLease(on, { id, lease, reconciledUntilMs })).length > 0;
}

const allConnectionIds = preparedStatement<Record<string, never>, { id: string }>(sql`
  select ${connections.id} from ${connections}
  where ${connections.disconnectedAt} is null
  order by ${connections.createdAt}
`);

/** Every connection's id, oldest first: what a reconciliation of everything goes through. */
export async function listConnectionIdsForReconciliation(on: Queryable): Promise<string[]> {
  return (await allConnectionIds(on, {})).map((r) => r.id);
}

const oneConnection = preparedStatement<{ id: string }, ReconciliationConnection>(sql`
  select ${connectionFields} from ${connections}
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.disconnectedAt} is null and ${connections.twilioAuthTokenHash} is not null
`);

/** One connection with its encrypted token (service_role), or undefined. */
export async function findReconciliationConnection(
  on: Queryable,
  id: string,
): Promise<ReconciliationConnection | undefined> {
  const [row] = await oneConnection(on, { id });
  return row;
}

const storedSids = preparedStatement<{ connectionId: string; sids: string[] }, { messageSid: string }>(sql`
  select ${messages.messageSid} as "messageSid"
  from ${messages}
  where ${messages.connectionId} = ${sql.placeholder('connectionId')}
    and ${messages.messageSid} = any(${sql.placeholder('sids')}::text[])
`);

/** Which of these MessageSids the connection has stored already (their events may be pruned by now). */
export async function storedMessageSids(
  on: Queryable,
  connectionId: string,
  sids: readonly string[],
): Promise<Set<string>> {
  if (sids.length === 0) return new Set();
  const rows = await storedSids(on, { connectionId, sids: [...sids] });
  return new Set(rows.map((r) => r.messageSid));
}

const statusesAhead = preparedStatement<
  { connectionId: string; sids: string[]; statuses: string[] },
  { messageSid: string }
>(sql`
  select c.sid as "messageSid"
  from unnest(${sql.placeholder('sids')}::text[], ${sql.placeholder('statuses')}::text[]) as c(sid, status)
  left join ${messages} on ${messages.messageSid} = c.sid and ${messages.connectionId} = ${sql.placeholder('connectionId')}
  where ${messages.id} is null
     or app_private.twilio_message_status_rank(c.status) > app_private.twilio_message_status_rank(${messages.status})
`);

/**
 * Of these (MessageSid, status) pairs, the ones that would move the stored status
 * forward (the worker's own rank), or whose message is not stored: what a
 * reconciliation has to bring. A status at or behind the stored one is no news.
 */
export async function messageStatusesAhead(
  on: Queryable,
  connectionId: string,
  candidates: readonly { messageSid: string; status: MessageStatus }[],
): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const rows = await statusesAhead(on, {
    connectionId,
    sids: candidates.map((c) => c.messageSid),
    statuses: candidates.map((c) => c.status),
  });
  return new Set(rows.map((r) => r.messageSid));
}

/** Statuses after which Twilio sends no more callbacks for a message (besides 'read' after 'delivered'). */
export const UNFINISHED_OUTBOUND_STATUSES = ['accepted', 'scheduled', 'queued', 'sending', 'sent'] as const;

/** An outbound message whose status is not final, due for a look at Twilio. */
export interface UnfinishedOutboundMessage {
  connectionId: string;
  messageSid: string;
  status: MessageStatus;
}

const claimUnfinished = preparedStatement<
  { quietMs: number; maxAgeMs: number; limit: number },
  UnfinishedOutboundMessage
>(sql`
  update ${messages} set status_checked_at = now()
  where ${messages.id} in (
    select ${messages.id} from ${messages}
    -- The partial index idx_twilio_wa_messages_unfinished has this predicate.
    where ${messages.direction} = 'outbound' and ${messages.messageSid} is not null
      and ${messages.status} in ('accepted', 'scheduled', 'queued', 'sending', 'sent')
      and ${messages.statusUpdatedAt} < now() - ${sql.placeholder('quietMs')} * interval '1 millisecond'
      and ${messages.statusUpdatedAt} > now() - ${sql.placeholder('maxAgeMs')} * interval '1 millisecond'
      -- Asked again after a quarter of its time without news (at least quietMs):
      -- a message Twilio itself never finishes is asked about less and less often.
      and (${messages.statusCheckedAt} is null
           or ${messages.statusCheckedAt} < now() - greatest(
                ${sql.placeholder('quietMs')} * interval '1 millisecond',
                (now() - ${messages.statusUpdatedAt}) / 4))
    order by ${messages.statusUpdatedAt}
    limit ${sql.placeholder('limit')}
    for update skip locked
  )
  returning ${messages.connectionId} as "connectionId", ${messages.messageSid} as "messageSid", ${messages.status}
`);

/**
 * Outbound messages with no status change for `quietMs` (and younger than
 * `maxAgeMs`), marked as checked now so that no other process asks Twilio about
 * them at the same time. At most `limit`, longest quiet first.
 */
export async function claimUnfinishedOutboundMessages(
  on: Queryable,
  options: { quietMs: number; maxAgeMs: number; limit: number },
): Promise<UnfinishedOutboundMessage[]> {
  return claimUnfinished(on, options);
}
