import {
  twilioWhatsappConnections as connections,
  type Database,
  type NewTwilioWhatsappConnection,
  type TwilioWhatsappConnection,
  type Tx,
  withServiceRole,
} from '@app/db';
import { TRPCError } from '@trpc/server';
import { desc, eq } from 'drizzle-orm';
import { notifyConnectionChanged } from './notify.ts';

// Queries on twilio_whatsapp_connections, run inside the caller's RLS transaction:
// a row of another organization is invisible, so "0 rows" means "not yours".

export const NO_SUCH_CONNECTION = 'No such WhatsApp connection in your organization.';

export function connectionNotFound(): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: NO_SUCH_CONNECTION });
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/**
 * Drizzle's query errors quote the statement's parameters, the token's ciphertext
 * among them; keep only PostgreSQL's own code and message before it reaches a log.
 */
function withoutParameters(error: unknown, doing: string): Error {
  let pg: { code?: unknown; message?: unknown } | undefined;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (typeof (e as { code?: unknown }).code === 'string') pg = e as { code?: unknown; message?: unknown };
  }
  return new Error(`${doing} failed${pg ? `: ${String(pg.code)} ${String(pg.message)}` : ''}`);
}

export function alreadyConnected(number: string, ours: boolean): TRPCError {
  return new TRPCError({
    code: 'CONFLICT',
    message: `${number} is already connected ${ours ? 'to your organization' : 'to another organization'}.`,
  });
}

/**
 * Which organization, if any, has this number connected. Read as the service role
 * because the number is unique across organizations; the caller only learns
 * whether it is theirs, never whose it is.
 */
export async function organizationHoldingNumber(db: Database, number: string): Promise<string | null> {
  const [row] = await withServiceRole(db, (tx) =>
    tx
      .select({ organizationId: connections.organizationId })
      .from(connections)
      .where(eq(connections.whatsappNumber, number))
      .limit(1),
  );
  return row?.organizationId ?? null;
}

export function listConnections(tx: Tx): Promise<TwilioWhatsappConnection[]> {
  return tx.select().from(connections).orderBy(desc(connections.createdAt), desc(connections.id));
}

export async function findConnection(tx: Tx, id: string): Promise<TwilioWhatsappConnection> {
  const [row] = await tx.select().from(connections).where(eq(connections.id, id)).limit(1);
  if (!row) throw connectionNotFound();
  return row;
}

export async function insertConnection(
  tx: Tx,
  values: NewTwilioWhatsappConnection & { id: string },
): Promise<TwilioWhatsappConnection> {
  try {
    const [row] = await tx.insert(connections).values(values).returning();
    return row!;
  } catch (error) {
    // Two admins racing to connect the same number: the unique constraint decides.
    // Which organization won is not ours to tell.
    if (isUniqueViolation(error)) {
      throw new TRPCError({ code: 'CONFLICT', message: `${values.whatsappNumber} is already connected.` });
    }
    throw withoutParameters(error, 'Storing the WhatsApp connection');
  }
}

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
 * (at commit). NOT_FOUND when RLS hides it.
 */
export async function updateConnection(
  tx: Tx,
  id: string,
  patch: ConnectionPatch,
): Promise<TwilioWhatsappConnection> {
  let row: TwilioWhatsappConnection | undefined;
  try {
    [row] = await tx.update(connections).set(patch).where(eq(connections.id, id)).returning();
  } catch (error) {
    throw withoutParameters(error, 'Updating the WhatsApp connection');
  }
  if (!row) throw connectionNotFound();
  await notifyConnectionChanged(tx, id);
  return row;
}

export async function deleteConnection(tx: Tx, id: string): Promise<void> {
  const deleted = await tx
    .delete(connections)
    .where(eq(connections.id, id))
    .returning({ id: connections.id });
  if (deleted.length === 0) throw connectionNotFound();
  await notifyConnectionChanged(tx, id);
}
