import {
  twilioWhatsappConnections as connections,
  type Database,
  isQueryError,
  notifyConnectionChanged,
  withoutQueryParameters,
  withServiceRole,
} from '@app/db';
import { and, asc, eq, gt, not, type SQL, sql } from 'drizzle-orm';
import type { CredentialVault } from './credential-vault.ts';

export interface RotationResult {
  /** Rows re-encrypted under the current key by this run. */
  rotated: number;
  /** Rows that were under the current key already. */
  alreadyCurrent: number;
  /**
   * Rows still under an old key when the run ended: locked by a concurrent update on
   * every pass. Old keys must stay until a run reports 0.
   */
  remaining: number;
}

/**
 * Re-encrypts every stored Auth Token that is not under the vault's current
 * (first) key, and the previous token a row keeps during a rotation grace period. One transaction per batch, rows locked `for update skip locked`, so
 * it runs beside live traffic, can be interrupted at any point (finished batches
 * stay done) and re-run (rows already current are skipped). Rows skipped because
 * another transaction held them are retried by a further pass; passes stop when one
 * rotates nothing, and what is still under an old key is counted in `remaining`.
 * A row that does not decrypt stops the run with its id: better loud than silently
 * left behind. Query errors are thrown without their parameters (the new ciphertext).
 */
export async function rotateCredentials(
  db: Database,
  vault: CredentialVault,
  options: { batchSize?: number; onBatch?: (progress: RotationResult) => void } = {},
): Promise<RotationResult> {
  try {
    return await rotateAll(db, vault, options.batchSize ?? 100, options.onBatch);
  } catch (error) {
    throw isQueryError(error) ? withoutQueryParameters(error, 'Rotating credentials') : error;
  }
}

async function rotateAll(
  db: Database,
  vault: CredentialVault,
  batchSize: number,
  onBatch: ((progress: RotationResult) => void) | undefined,
): Promise<RotationResult> {
  // A row is current when its token, and the previous token it keeps during a
  // rotation grace period (20261130_token_rotation), are both under the current key.
  const prefix = vault.currentEnvelopePrefix;
  const underCurrentKey = sql`(starts_with(${connections.twilioAuthTokenHash}, ${prefix})
    and (${connections.twilioPreviousAuthToken} is null or starts_with(${connections.twilioPreviousAuthToken}, ${prefix})))`;
  const countWhere = async (where: SQL) => {
    const [counted] = await withServiceRole(db, (tx) =>
      tx.select({ count: sql<number>`count(*)::int` }).from(connections).where(where),
    );
    return counted?.count ?? 0;
  };
  const result: RotationResult = {
    rotated: 0,
    alreadyCurrent: await countWhere(underCurrentKey),
    remaining: 0,
  };

  for (;;) {
    // One pass walks by id, so rows skipped while locked elsewhere do not stall it.
    let rotatedThisPass = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await withServiceRole(db, async (tx) => {
        const rows = await tx
          .select({
            id: connections.id,
            accountSid: connections.twilioAccountSid,
            envelope: connections.twilioAuthTokenHash,
            previousEnvelope: connections.twilioPreviousAuthToken,
          })
          .from(connections)
          .where(and(gt(connections.id, after), not(underCurrentKey)))
          .orderBy(asc(connections.id))
          .limit(batchSize)
          .for('update', { skipLocked: true });
        for (const row of rows) {
          // A disconnected connection's token is erased: nothing to re-encrypt (NULL never
          // matches the filter above; this says so to the type checker).
          if (row.envelope === null) continue;
          const binding = { rowId: row.id, accountSid: row.accountSid };
          const previousBinding = { ...binding, slot: 'previous' as const };
          let token: string;
          let previousToken: string | null;
          try {
            token = vault.decrypt(row.envelope, binding);
            previousToken =
              row.previousEnvelope === null ? null : vault.decrypt(row.previousEnvelope, previousBinding);
          } catch (error) {
            throw new Error(`Connection ${row.id}: ${(error as Error).message}`);
          }
          try {
            await tx
              .update(connections)
              .set({
                twilioAuthTokenHash: vault.encrypt(token, binding),
                ...(previousToken === null
                  ? {}
                  : { twilioPreviousAuthToken: vault.encrypt(previousToken, previousBinding) }),
              })
              .where(eq(connections.id, row.id));
          } catch (error) {
            throw withoutQueryParameters(error, `Re-encrypting connection ${row.id}`);
          }
          await notifyConnectionChanged(tx, row.id);
        }
        return rows;
      });
      const last = batch.at(-1);
      if (!last) break;
      after = last.id;
      rotatedThisPass += batch.length;
      result.rotated += batch.length;
      onBatch?.({ ...result });
    }
    if (rotatedThisPass === 0) break;
  }
  result.remaining = await countWhere(not(underCurrentKey));
  return result;
}
