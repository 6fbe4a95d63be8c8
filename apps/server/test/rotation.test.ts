import { twilioWhatsappConnections as connections, withServiceRole } from '@app/db';
import { useTestDatabase } from '@app/db/vitest';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialDecryptionError, CredentialVault } from '../src/vault/credential-vault.ts';
import { rotateCredentials } from '../src/vault/rotate.ts';
import { TEST_KEY_1, TEST_KEY_2 } from './helpers.ts';
import { seedSealedConnections } from './rotation-world.ts';

const tokenOf = (i: number) => i.toString(16).padStart(32, 'c');

describe('credential key rotation (pnpm credentials:rotate)', () => {
  const database = useTestDatabase();
  const k1 = new CredentialVault(TEST_KEY_1);
  const k2ThenK1 = new CredentialVault(`${TEST_KEY_2},${TEST_KEY_1}`);
  const k2Alone = new CredentialVault(TEST_KEY_2);
  const ROWS = 7;

  beforeAll(async () => {
    await seedSealedConnections(database.db, k1, {
      organizationName: 'Rotating',
      count: ROWS,
      tokenOf,
    });
  });

  const rows = () =>
    withServiceRole(database.db, (tx) => tx.select().from(connections).orderBy(connections.twilioAccountSid));

  it('re-encrypts every row under the new key, in batches; then every row decrypts with the new key alone', async () => {
    const batches: number[] = [];
    const result = await rotateCredentials(database.db, k2ThenK1, {
      batchSize: 3,
      onBatch: (p) => batches.push(p.rotated),
    });
    expect(result).toEqual({ rotated: ROWS, alreadyCurrent: 0, remaining: 0 });
    expect(batches).toEqual([3, 6, 7]);
    const after = await rows();
    after.forEach((row, i) => {
      expect(CredentialVault.keyIdOf(row.twilioAuthTokenHash!)).toBe('k2');
      expect(
        k2Alone.decrypt(row.twilioAuthTokenHash!, { rowId: row.id, accountSid: row.twilioAccountSid }),
      ).toBe(tokenOf(i));
      expect(() =>
        k1.decrypt(row.twilioAuthTokenHash!, { rowId: row.id, accountSid: row.twilioAccountSid }),
      ).toThrow(CredentialDecryptionError);
    });
  });

  it('running it again changes nothing', async () => {
    const before = await rows();
    expect(await rotateCredentials(database.db, k2ThenK1, { batchSize: 3 })).toEqual({
      rotated: 0,
      alreadyCurrent: ROWS,
      remaining: 0,
    });
    expect(await rows()).toEqual(before);
  });

  it('an interrupted run is finished by the next one', async () => {
    const k1First = new CredentialVault(`${TEST_KEY_1},${TEST_KEY_2}`);
    // Interrupt after the first batch by failing inside onBatch.
    await expect(
      rotateCredentials(database.db, k1First, {
        batchSize: 2,
        onBatch: () => {
          throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const midway = await rows();
    expect(midway.filter((r) => CredentialVault.keyIdOf(r.twilioAuthTokenHash!) === 'k1')).toHaveLength(2);
    expect(await rotateCredentials(database.db, k1First, { batchSize: 2 })).toEqual({
      rotated: ROWS - 2,
      alreadyCurrent: 2,
      remaining: 0,
    });
  });

  const k1First = new CredentialVault(`${TEST_KEY_1},${TEST_KEY_2}`);
  const setEnvelope = (id: string, envelope: string) =>
    withServiceRole(database.db, (tx) =>
      tx.update(connections).set({ twilioAuthTokenHash: envelope }).where(eq(connections.id, id)),
    );

  it('a tampered ciphertext fails loudly, naming the row', async () => {
    await rotateCredentials(database.db, k1First);
    const [first] = await rows();
    const original = first!.twilioAuthTokenHash!;
    const parts = original.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    await setEnvelope(first!.id, parts.join('.'));
    await expect(rotateCredentials(database.db, k2ThenK1)).rejects.toThrow(
      new RegExp(`${first!.id}.*altered or belongs to another row`),
    );
    await setEnvelope(first!.id, original);
  });

  it('the previous token a row keeps during an Auth Token rotation is re-encrypted too, still bound as previous', async () => {
    await rotateCredentials(database.db, k1First);
    const [first] = await rows();
    const binding = { rowId: first!.id, accountSid: first!.twilioAccountSid };
    const previousBinding = { ...binding, slot: 'previous' as const };
    await withServiceRole(database.db, (tx) =>
      tx
        .update(connections)
        .set({
          twilioPreviousAuthToken: k1.encrypt('d'.repeat(32), previousBinding),
          previousTokenExpiresAt: new Date(Date.now() + 60_000),
        })
        .where(eq(connections.id, first!.id)),
    );
    // Only the previous token is under the old key: the row still needs rotating.
    await rotateCredentials(database.db, k1First);
    expect(await rotateCredentials(database.db, k2ThenK1)).toMatchObject({ rotated: ROWS, remaining: 0 });
    const [after] = await rows();
    expect(CredentialVault.keyIdOf(after!.twilioPreviousAuthToken!)).toBe('k2');
    expect(k2Alone.decrypt(after!.twilioPreviousAuthToken!, previousBinding)).toBe('d'.repeat(32));
    expect(() => k2Alone.decrypt(after!.twilioPreviousAuthToken!, binding)).toThrow(
      CredentialDecryptionError,
    );
    expect(k2Alone.decrypt(after!.twilioAuthTokenHash!, binding)).toBe(tokenOf(0));

    // The current token under the new key but the previous under the old one: rotated.
    await withServiceRole(database.db, (tx) =>
      tx
        .update(connections)
        .set({
          twilioAuthTokenHash: k2Alone.encrypt(tokenOf(0), binding),
          twilioPreviousAuthToken: k1.encrypt('d'.repeat(32), previousBinding),
        })
        .where(eq(connections.id, first!.id)),
    );
    expect(await rotateCredentials(database.db, k2ThenK1)).toMatchObject({ rotated: 1, remaining: 0 });
    const [again] = await rows();
    expect(CredentialVault.keyIdOf(again!.twilioPreviousAuthToken!)).toBe('k2');
    expect(k2Alone.decrypt(again!.twilioPreviousAuthToken!, previousBinding)).toBe('d'.repeat(32));
  });

  it('a ciphertext copied to another row does not decrypt there', async () => {
    await rotateCredentials(database.db, k1First);
    const [a, b] = await rows();
    expect(() =>
      k1.decrypt(a!.twilioAuthTokenHash!, { rowId: b!.id, accountSid: b!.twilioAccountSid }),
    ).toThrow(CredentialDecryptionError);
    await setEnvelope(b!.id, a!.twilioAuthTokenHash!);
    await expect(rotateCredentials(database.db, k2ThenK1)).rejects.toThrow(
      new RegExp(`${b!.id}.*altered or belongs to another row`),
    );
  });
});
