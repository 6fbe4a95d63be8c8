import {
  twilioWhatsappConnections as connections,
  type Database,
  isUniqueViolation,
  type NewTwilioWhatsappConnection,
  type TwilioWhatsappConnection,
  type Tx,
  withoutQueryParameters,
  withServiceRole,
} from '@app/db';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { and, desc, eq, ne } from 'drizzle-orm';
import { ConnectionNotFoundError, NumberAlreadyConnectedError } from './errors.ts';
import { notifyConnectionChanged } from './notify.ts';

// Queries on twilio_whatsapp_connections, run inside the caller's RLS transaction:
// a row of another organization is invisible, so "0 rows" means "not yours".

/**
 * A connection as a signed-in user may read it: every column but the token's
 * ciphertext, which authenticated cannot SELECT (column grants, migration 20260205).
 * Queries run as a user name these columns; `select()`/`returning()` without a list
 * would ask for the ciphertext too and fail with 42501.
 */
export type ConnectionRow = Omit<TwilioWhatsappConnection, 'twilioAuthTokenHash' | 'twilioWebhooksBefore'>;

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
  createdAt: connections.createdAt,
  updatedAt: connections.updatedAt,
  disconnectedAt: connections.disconnectedAt,
  disconnectedBy: connections.disconnectedBy,
} satisfies { [K in keyof ConnectionRow]: (typeof connections)[K] };

/**
 * The token's ciphertext and the Account SID it is bound to, read as the service
 * role. Call it only after the caller's RLS read of the same row proved access.
 */
export async function storedSecret(
  db: Database,
  id: string,
): Promise<Pick<TwilioWhatsappConnection, 'id' | 'twilioAccountSid' | 'twilioAuthTokenHash'> | null> {
  const [row] = await withServiceRole(db, (tx) =>
    tx
      .select({
        id: connections.id,
        twilioAccountSid: connections.twilioAccountSid,
        twilioAuthTokenHash: connections.twilioAuthTokenHash,
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
 * Which organization, if any, has this number connected. Read as the service role
 * because a number is unique across organizations; the caller only learns
 * whether it is theirs, never whose it is. The sandbox number is shared by every
 * Twilio account, so for it only the same account's connection counts.
 */
export async function organizationHoldingNumber(
  db: Database,
  number: string,
  accountSid: string,
): Promise<string | null> {
  const sameNumber = eq(connections.whatsappNumber, number);
  const [row] = await withServiceRole(db, (tx) =>
    tx
      .select({ organizationId: connections.organizationId })
      .from(connections)
      .where(
        number === TWILIO_SANDBOX_NUMBER
          ? and(sameNumber, eq(connections.twilioAccountSid, accountSid))
          : and(sameNumber, ne(connections.whatsappNumber, TWILIO_SANDBOX_NUMBER)),
      )
      .limit(1),
  );
  return row?.organizationId ?? null;
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
    | 'whatsappNumberSid'
    | 'isActive'
    | 'webhookConfigured'
    | 'lastVerifiedAt'
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
