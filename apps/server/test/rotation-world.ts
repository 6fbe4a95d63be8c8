import { randomUUID } from 'node:crypto';
import {
  twilioWhatsappConnections as connections,
  type Database,
  organizations,
  withServiceRole,
} from '@app/db';
import type { CredentialVault } from '../src/vault/credential-vault.ts';
import { uniqueNumber } from './connections-world.ts';

/** An Account SID that sorts as `i` does. */
const accountSidFor = (i: number) => `AC${i.toString(16).padStart(32, '0')}`;

/**
 * One new organization with `count` connections, the i-th holding `tokenOf(i)` sealed by `vault`
 * for its own row and account, as a rotation finds them; resolves with the row ids in that order.
 */
export async function seedSealedConnections(
  db: Database,
  vault: CredentialVault,
  seed: { organizationName: string; count: number; tokenOf: (i: number) => string },
): Promise<string[]> {
  return withServiceRole(db, async (tx) => {
    const [org] = await tx.insert(organizations).values({ name: seed.organizationName }).returning();
    const ids: string[] = [];
    for (let i = 0; i < seed.count; i++) {
      const id = randomUUID();
      ids.push(id);
      await tx.insert(connections).values({
        id,
        organizationId: org!.id,
        twilioAccountSid: accountSidFor(i),
        twilioAuthTokenHash: vault.encrypt(seed.tokenOf(i), { rowId: id, accountSid: accountSidFor(i) }),
        whatsappNumber: uniqueNumber(),
      });
    }
    return ids;
  });
}
