import { sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { bare, preparedStatement, type Queryable } from './prepared.ts';
import { twilioWhatsappConnections as connections, type TwilioWhatsappConnection } from './schema.ts';

/** What the webhook intake needs of a connection to check a delivery's signature. */
export type ConnectionCredentials = Pick<
  TwilioWhatsappConnection,
  'id' | 'organizationId' | 'twilioAccountSid' | 'twilioPreviousAuthToken'
> & {
  twilioAuthTokenHash: string;
  /** previous_token_expires_at in ms since the epoch, while the grace lasts; else null. */
  previousTokenExpiresAtMs: number | null;
};

// Active or paused alike: pausing stops sending only, so a paused connection's
// customers' messages and status callbacks are still verified and stored (Twilio
// does not retry a 404: refusing them would lose them). A disconnected connection
// has no token left to verify a signature with: it is not found (404). The previous
// token only while its grace lasts (by the database's clock, as the sweep's).
const connectedCredentials = preparedStatement<{ id: string }, ConnectionCredentials>(sql`
  select ${connections.id}, ${connections.organizationId} as "organizationId",
         ${connections.twilioAccountSid} as "twilioAccountSid",
         ${connections.twilioAuthTokenHash} as "twilioAuthTokenHash",
         case when ${connections.previousTokenExpiresAt} > now()
              then ${connections.twilioPreviousAuthToken} end as "twilioPreviousAuthToken",
         case when ${connections.previousTokenExpiresAt} > now()
              then (extract(epoch from ${connections.previousTokenExpiresAt}) * 1000)::float8
         end as "previousTokenExpiresAtMs"
  from ${connections}
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.disconnectedAt} is null and ${connections.twilioAuthTokenHash} is not null
`);

/**
 * The connection's id, organization and encrypted token(s) (read as service_role),
 * whether sending is active or paused; undefined when there is no such connection or
 * it is disconnected.
 */
export async function findConnectedConnectionCredentials(
  on: Queryable,
  id: string,
): Promise<ConnectionCredentials | undefined> {
  const [row] = await connectedCredentials(on, { id });
  return row;
}

/** Which of a connection's Auth Tokens signed a delivery. */
export type SigningToken = 'current' | 'previous';

/** How stale a last_signed_with_* time may get before a delivery writes it again. */
export const SIGNING_SEEN_RESOLUTION_MS = 60_000;

// Written only when the stored time is a minute old or more: many processes seeing
// deliveries of one connection still write it about once a minute, and a row that
// needs no write is not written (no dead tuple, no WAL).
const signedWithCurrent = preparedStatement<{ id: string; resolutionMs: number }, Record<string, never>>(sql`
  update ${connections} set ${bare(connections.lastSignedWithCurrentAt)} = now()
  where ${connections.id} = ${sql.placeholder('id')}
    and (${connections.lastSignedWithCurrentAt} is null
         or ${connections.lastSignedWithCurrentAt} < now() - ${sql.placeholder('resolutionMs')} * interval '1 millisecond')
`);
const signedWithPrevious = preparedStatement<{ id: string; resolutionMs: number }, Record<string, never>>(sql`
  update ${connections} set ${bare(connections.lastSignedWithPreviousAt)} = now()
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.twilioPreviousAuthToken} is not null
    and (${connections.lastSignedWithPreviousAt} is null
         or ${connections.lastSignedWithPreviousAt} < now() - ${sql.placeholder('resolutionMs')} * interval '1 millisecond')
`);

/** Records that a delivery signed with this token was seen now (a no-op within a minute of the last). */
export async function recordSignedDelivery(on: Queryable, id: string, token: SigningToken): Promise<void> {
  const values = { id, resolutionMs: SIGNING_SEEN_RESOLUTION_MS };
  await (token === 'current' ? signedWithCurrent(on, values) : signedWithPrevious(on, values));
}

const erasePrevious = preparedStatement<
  { channel: string; settleMs: number; graceMs: number },
  { id: string }
>(sql`
  with erased as (
    update ${connections}
    set ${bare(connections.twilioPreviousAuthToken)} = null,
        ${bare(connections.previousTokenExpiresAt)} = null,
        ${bare(connections.lastSignedWithPreviousAt)} = null
    where ${connections.previousTokenExpiresAt} is not null
      and (${connections.previousTokenExpiresAt} <= now()
           or (${connections.lastSignedWithCurrentAt} is not null
               and greatest(${connections.lastSignedWithPreviousAt},
                            ${connections.previousTokenExpiresAt} - ${sql.placeholder('graceMs')} * interval '1 millisecond')
                   < now() - ${sql.placeholder('settleMs')} * interval '1 millisecond'))
    returning ${connections.id}
  )
  select id, pg_notify(${sql.placeholder('channel')}, id::text) from erased
`);

/**
 * Erases previous Auth Tokens whose grace period is over, and those Twilio has
 * stopped using: a delivery signed with the new token was seen, and none signed with
 * the old one for `settleMs` (counted from the rotation when none came after it; the
 * rotation is `graceMs` before the grace's end). Promoting the new token at Twilio
 * deletes the old one there, so it cannot sign again. Each erased row is announced on
 * `channel` at commit, so caches drop the token. Returns their ids.
 */
export async function erasePreviousAuthTokens(
  on: Queryable,
  options: { channel: string; settleMs: number; graceMs: number },
): Promise<string[]> {
  return (await erasePrevious(on, options)).map((r) => r.id);
}

/**
 * PostgreSQL channel announcing that a connection was updated, paused, re-keyed,
 * disconnected or deleted; the payload is its id. Every process that caches
 * connections (or their decrypted tokens) LISTENs and drops that entry.
 */
export const CONNECTION_CHANGED_CHANNEL = 'twilio_connection_changed';

/**
 * Call inside the transaction that changes the row: PostgreSQL delivers NOTIFY at
 * commit, so listeners never see a change that was rolled back, nor miss one that
 * committed.
 */
export async function notifyConnectionChanged(tx: Tx, connectionId: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${CONNECTION_CHANGED_CHANNEL}, ${connectionId})`);
}
