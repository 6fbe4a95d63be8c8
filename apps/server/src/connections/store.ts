import {
  twilioWhatsappConnections as connections,
  type Database,
  isUniqueViolation,
  type NewTwilioWhatsappConnection,
  notifyConnectionChanged,
  type TwilioWhatsappConnection,
  type Tx,
  withoutQueryParameters,
  withServiceRole,
} from '@app/db';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { and, desc, eq, ne, type SQL } from 'drizzle-orm';
import {
  ConnectionDisconnectedError,
  ConnectionNotFoundError,
  NumberAlreadyConnectedError,
} from './errors.ts';
import { displayNamesOf } from './people.ts';

// Queries on twilio_whatsapp_connections, run inside the caller's RLS transaction:
// a row of another organization is invisible, so "0 rows" means "not yours".

/**
 * A connection as a signed-in user may read it: every column but the tokens'
 * ciphertexts and the reconciliation lease, which authenticated cannot SELECT
 * (column grants, migrations 20260205, 20261130_reconciliation and
 * 20261130_token_rotation). Queries run as a user name these columns;
 * `select()`/`returning()` without a list would ask for the ciphertext too and fail
 * with 42501.
 */
export type ConnectionRow = Omit<
  TwilioWhatsappConnection,
  'twilioAuthTokenHash' | 'twilioPreviousAuthToken' | 'reconcileLeaseUntil' | 'twilioWebhooksBefore'
>;

export const connectionColumns = {
  id: connections.id,
  organizationId: connections.organizationId,
  twilioAccountSid: connections.twilioAccountSid,
  whatsappNumber: connections.whatsappNumber,
  whatsappNumberSid: connections.whatsappNumberSid,
  friendlyName: connections.friendlyName,
  isActive: connections.isActive,
  webhookConfigured: connections.webhookConfigured,
  lastVerifiedAt: connections.lastVerifiedAt,
  lastReconciledAt: connections.lastReconciledAt,
  createdAt: connections.createdAt,
  updatedAt: connections.updatedAt,
  previousTokenExpiresAt: connections.previousTokenExpiresAt,
  lastSignedWithCurrentAt: connections.lastSignedWithCurrentAt,
  lastSignedWithPreviousAt: connections.lastSignedWithPreviousAt,
  disconnectedAt: connections.disconnectedAt,
  disconnectedBy: connections.disconnectedBy,
  messagingServiceSid: connections.messagingServiceSid,
  messagingServiceSenders: connections.messagingServiceSenders,
} satisfies { [K in keyof ConnectionRow]: (typeof connections)[K] };

/**
 * What only the service role reads of a connection: the tokens' ciphertexts, the
 * Account SID they are bound to, and Twilio's webhook settings from before we set
 * ours (a URL can carry another system's credentials).
 */
export type StoredSecret = Pick<
  TwilioWhatsappConnection,
  'id' | 'twilioAccountSid' | 'twilioAuthTokenHash' | 'twilioPreviousAuthToken' | 'twilioWebhooksBefore'
>;

/**
 * The connection's StoredSecret, read as the service role in one query. Call it only
 * after the caller's RLS read of the same row proved access.
 */
export async function storedSecret(db: Database, id: string): Promise<StoredSecret | null> {
  const [row] = await withServiceRole(db, (tx) =>
    tx
      .select({
        id: connections.id,
        twilioAccountSid: connections.twilioAccountSid,
        twilioAuthTokenHash: connections.twilioAuthTokenHash,
        twilioPreviousAuthToken: connections.twilioPreviousAuthToken,
        twilioWebhooksBefore: connections.twilioWebhooksBefore,
      })
      .from(connections)
      .where(eq(connections.id, id))
      .limit(1),
  );
  return row ?? null;
}

/** The number is connected already; `ours` says whether by the caller's organization. */
export function alreadyConnected(number: string, ours: boolean): NumberAlreadyConnectedError {
  return new NumberAlreadyConnectedError(
    `${number} is already connected ${ours ? 'to your organization' : 'to another organization'}.`,
  );
}

/**
 * Another organization disconnected this number and kept its history. Connecting it
 * here would either hand that history over or fork it under the same number, so it
 * waits until that organization deletes the history (decided in issue 11).
 */
export function heldByAnotherHistory(number: string): NumberAlreadyConnectedError {
  return new NumberAlreadyConnectedError(
    `${number} was connected to another organization, which keeps its message history. It can be connected here once an owner there deletes that history.`,
  );
}

export interface NumberHolder {
  id: string;
  organizationId: string;
  /** Disconnected: only its history is held (same organization: connecting again continues it). */
  disconnected: boolean;
}

/**
 * The connection, if any, that holds what `held` matches (a number or a Messaging
 * Service), connected or disconnected. Read as the service role because both are
 * unique across organizations; the caller only learns whether it is theirs, never
 * whose it is.
 */
async function connectionHolding(db: Database, held: SQL | undefined): Promise<NumberHolder | null> {
  const [row] = await withServiceRole(db, (tx) =>
    tx
      .select({
        id: connections.id,
        organizationId: connections.organizationId,
        disconnectedAt: connections.disconnectedAt,
      })
      .from(connections)
      .where(held)
      .limit(1),
  );
  return row
    ? { id: row.id, organizationId: row.organizationId, disconnected: row.disconnectedAt !== null }
    : null;
}

/**
 * The connection, if any, that holds this number. The sandbox number is shared by
 * every Twilio account, so for it only the same account's connection counts.
 */
export function connectionHoldingNumber(
  db: Database,
  number: string,
  accountSid: string,
): Promise<NumberHolder | null> {
  const sameNumber = eq(connections.whatsappNumber, number);
  return connectionHolding(
    db,
    number === TWILIO_SANDBOX_NUMBER
      ? and(sameNumber, eq(connections.twilioAccountSid, accountSid))
      : and(sameNumber, ne(connections.whatsappNumber, TWILIO_SANDBOX_NUMBER)),
  );
}

/** The connection, if any, that holds this Messaging Service. */
export function connectionHoldingService(db: Database, serviceSid: string): Promise<NumberHolder | null> {
  return connectionHolding(db, eq(connections.messagingServiceSid, serviceSid));
}

/**
 * Who disconnected each of these connections, by name, for the card's "by whom"; only
 * people of the connection's own organization (the rows come from the caller's RLS read).
 */
export function disconnectorNames(
  db: Database,
  rows: Pick<ConnectionRow, 'organizationId' | 'disconnectedBy'>[],
): Promise<Map<string, string>> {
  const wanted = rows.filter((r) => r.disconnectedBy !== null);
  return displayNamesOf(
    db,
    wanted.map((r) => r.disconnectedBy as string),
    wanted.map((r) => r.organizationId),
  );
}

export function listConnections(tx: Tx): Promise<ConnectionRow[]> {
  return tx
    .select(connectionColumns)
    .from(connections)
    .orderBy(desc(connections.createdAt), desc(connections.id));
}

export async function findConnection(tx: Tx, id: string): Promise<ConnectionRow> {
  const [row] = await tx.select(connectionColumns).from(connections).where(eq(connections.id, id)).limit(1);
  if (!row) throw new ConnectionNotFoundError();
  return row;
}

/**
 * A connection the caller may read that is still connected. Its token is erased once
 * disconnected, so acting on it (sending, new credentials, resuming) is refused with
 * ConnectionDisconnectedError; ConnectionNotFoundError when RLS hides it.
 */
export async function findConnectedConnection(tx: Tx, id: string): Promise<ConnectionRow> {
  const row = await findConnection(tx, id);
  if (row.disconnectedAt) throw new ConnectionDisconnectedError();
  return row;
}

export async function insertConnection(
  tx: Tx,
  values: NewTwilioWhatsappConnection & { id: string },
): Promise<ConnectionRow> {
  try {
    const [row] = await tx.insert(connections).values(values).returning(connectionColumns);
    return row!;
  } catch (error) {
    // Two admins racing to connect the same number: the unique constraint decides.
    // Which organization won is not ours to tell.
    if (isUniqueViolation(error)) {
      throw new NumberAlreadyConnectedError(`${values.whatsappNumber} is already connected.`);
    }
    throw withoutQueryParameters(error, 'Storing the WhatsApp connection');
  }
}

export const ALREADY_CONNECTED_FOR_ACCOUNT =
  'This WhatsApp number is already connected with that Twilio account.';

export type ConnectionPatch = Partial<
  Pick<
    NewTwilioWhatsappConnection,
    | 'friendlyName'
    | 'twilioAccountSid'
    | 'twilioAuthTokenHash'
    | 'twilioPreviousAuthToken'
    | 'previousTokenExpiresAt'
    | 'lastSignedWithCurrentAt'
    | 'lastSignedWithPreviousAt'
    | 'whatsappNumberSid'
    | 'isActive'
    | 'webhookConfigured'
    | 'lastVerifiedAt'
    | 'twilioWebhooksBefore'
    | 'disconnectedAt'
    | 'disconnectedBy'
    | 'messagingServiceSenders'
    | 'whatsappNumber'
    | 'messagingServiceSid'
  >
>;

/**
 * Updates a row the caller may manage, and announces the change to every process
 * (at commit). ConnectionNotFoundError when RLS hides it.
 */
export async function updateConnection(tx: Tx, id: string, patch: ConnectionPatch): Promise<ConnectionRow> {
  // Nothing to change (e.g. an update that only repeats the id): the row as it is.
  if (Object.values(patch).every((v) => v === undefined)) return findConnection(tx, id);
  let row: ConnectionRow | undefined;
  try {
    [row] = await tx
      .update(connections)
      .set(patch)
      .where(eq(connections.id, id))
      .returning(connectionColumns);
  } catch (error) {
    // A new Account SID whose account already has this number connected (the
    // sandbox, shared by every account): which organization holds it is not ours to tell.
    if (isUniqueViolation(error)) {
      throw new NumberAlreadyConnectedError(ALREADY_CONNECTED_FOR_ACCOUNT);
    }
    throw withoutQueryParameters(error, 'Updating the WhatsApp connection');
  }
  if (!row) throw new ConnectionNotFoundError();
  await notifyConnectionChanged(tx, id);
  return row;
}

export async function deleteConnection(tx: Tx, id: string): Promise<void> {
  const deleted = await tx
    .delete(connections)
    .where(eq(connections.id, id))
    .returning({ id: connections.id });
  if (deleted.length === 0) throw new ConnectionNotFoundError();
  await notifyConnectionChanged(tx, id);
}
