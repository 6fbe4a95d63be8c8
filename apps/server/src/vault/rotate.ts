import { twilioWhatsappConnections as connections, type Database, withServiceRole } from '@app/db';
import { and, asc, eq, gt, not, sql } from 'drizzle-orm';
import { notifyConnectionChanged } from '../connections/notify.ts';
import type { CredentialVault } from './credential-vault.ts';

export interface RotationResult {
  /** Rows re-encrypted under the current key by this run. */
  rotated: number;
  /** Rows that were under the current key already. */
  alreadyCurrent: number;
}

/**
 * Re-encrypts every stored Auth Token that is not under the vault's current
 * (first) key. One transaction per batch, rows locked `for update skip locked`, so
 * it runs beside live traffic, can be interrupted at any point (finished batches
 * stay done) and re-run (rows already current are skipped). A row that does not
 * decrypt stops the run with its id: better loud than silently left behind.
 */
export async function rotateCredentials(
  db: Database,
  vault: CredentialVault,
  options: { batchSize?: number; onBatch?: (progress: RotationResult) => void } = {},
): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 100;
  const currentPrefix = `v1.${vault.currentKeyId}.`;
  const [counted] = await withServiceRole(db, (tx) =>
    tx
      .select({ count: sql<number>`count(*)::int` })
      .from(connections)
      .where(sql`starts_with(${connections.twilioAuthTokenHash}, ${currentPrefix})`),
  );
  const result: RotationResult = { rotated: 0, alreadyCurrent: counted?.count ?? 0 };

  // Walk by id so rows skipped while locked elsewhere do not stall the loop; a
  // re-run picks them up.
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const done = await withServiceRole(db, async (tx) => {
      const batch = await tx
        .select({
          id: connections.id,
          accountSid: connections.twilioAccountSid,
          envelope: connections.twilioAuthTokenHash,
        })
        .from(connections)
        .where(
          and(
            gt(connections.id, after),
            not(sql`starts_with(${connections.twilioAuthTokenHash}, ${currentPrefix})`),
          ),
        )
        .orderBy(asc(connections.id))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      for (const row of batch) {
        const binding = { rowId: row.id, accountSid: row.accountSid };
        let token: string;
        try {
          token = vault.decrypt(row.envelope, binding);
        } catch (error) {
          throw new Error(`Connection ${row.id}: ${(error as Error).message}`);
        }
        await tx
          .update(connections)
          .set({ twilioAuthTokenHash: vault.encrypt(token, binding) })
          .where(eq(connections.id, row.id));
        await notifyConnectionChanged(tx, row.id);
      }
      const last = batch.at(-1);
      if (last) after = last.id;
      return batch.length;
    });
    result.rotated += done;
    options.onBatch?.({ ...result });
    if (done < batchSize) return result;
  }
}
