import { profiles, users, withServiceRole } from '@app/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { displayNamesOf } from '../src/connections/people.ts';
import { signUpOrganization, useTestServer } from './helpers.ts';

// The "by whom" of a disconnect or a retry names colleagues only: the ids come from
// rows the caller could read, and the organizations bound them again.
describe('displayNamesOf', () => {
  const server = useTestServer(() => ({}));

  const idOf = async (email: string) => {
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select({ id: users.id }).from(users).where(eq(users.email, email)),
    );
    return row!.id;
  };

  it('names people of the given organizations, by display name or else email, and nobody else', async () => {
    const [a, b] = [await signUpOrganization(server, 'Names A'), await signUpOrganization(server, 'Names B')];
    const [ownerA, ownerB] = [await idOf(a.ownerEmail), await idOf(b.ownerEmail)];
    await withServiceRole(server.db, (tx) =>
      tx.update(profiles).set({ displayName: 'Ada of A' }).where(eq(profiles.id, ownerA)),
    );

    expect(await displayNamesOf(server.db, [ownerA, ownerB, ownerA], [a.organizationId])).toEqual(
      new Map([[ownerA, 'Ada of A']]),
    );
    expect(await displayNamesOf(server.db, [ownerA, ownerB], [a.organizationId, b.organizationId])).toEqual(
      new Map([
        [ownerA, 'Ada of A'],
        [ownerB, b.ownerEmail],
      ]),
    );
    expect(await displayNamesOf(server.db, [], [a.organizationId])).toEqual(new Map());
  });
});
