import type { Tx } from '@app/db';
import { sql } from 'drizzle-orm';

/**
 * PostgreSQL channel announcing that a connection was updated, deactivated,
 * re-keyed or deleted; the payload is its id. Every process that caches
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
