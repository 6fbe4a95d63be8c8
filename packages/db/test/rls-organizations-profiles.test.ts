import { eq } from 'drizzle-orm';
import { describe } from 'vitest';
import { organizations, profiles } from '../src/schema.ts';
import { type Case, denied, insertsOneRow, type Operation, rows, useRoleMatrix } from './support/matrix.ts';

// organizations and profiles: members read their own organization and its people;
// only the server's sign-up (service role) writes them, so nobody can promote
// themselves or join another organization.

const selectOrganizations: Operation = (tx) => tx.select({ id: organizations.id }).from(organizations);
const createOrganization: Operation = (tx) =>
  tx.insert(organizations).values({ name: 'Mine now' }).returning({ id: organizations.id });
const renameOrganizationA: Operation = (tx, w) =>
  tx
    .update(organizations)
    .set({ name: 'Renamed' })
    .where(eq(organizations.id, w.orgA))
    .returning({ id: organizations.id });
const deleteOrganizationA: Operation = (tx, w) =>
  tx.delete(organizations).where(eq(organizations.id, w.orgA)).returning({ id: organizations.id });

const selectProfiles: Operation = (tx) => tx.select({ id: profiles.id }).from(profiles);
const joinOrganizationA: Operation = (tx, w) =>
  tx
    .insert(profiles)
    .values({ id: w.ownerB, organizationId: w.orgA, role: 'member' })
    .returning({ id: profiles.id });
const promoteSelfToOwner: Operation = async (tx, _w, actorId) =>
  tx
    .update(profiles)
    .set({ role: 'owner' })
    .where(eq(profiles.id, actorId ?? ''))
    .returning({ id: profiles.id });
const removeMemberOfA: Operation = (tx, w) =>
  tx.delete(profiles).where(eq(profiles.id, w.memberA)).returning({ id: profiles.id });

// biome-ignore format: the role matrix reads best as one row per case
const cases: Case[] = [
  // organizations
  { behaviour: 'the owner of A sees only organization A', actor: 'owner of A', operation: selectOrganizations, expected: rows('orgA') },
  { behaviour: 'a member of A sees only organization A', actor: 'member of A', operation: selectOrganizations, expected: rows('orgA') },
  { behaviour: 'a user of B sees only organization B', actor: 'user of B', operation: selectOrganizations, expected: rows('orgB') },
  { behaviour: 'anon cannot read organizations', actor: 'anon', operation: selectOrganizations, expected: denied },
  { behaviour: 'a signed-in user cannot create an organization directly', actor: 'owner of A', operation: createOrganization, expected: denied },
  { behaviour: 'the owner cannot rename the organization directly', actor: 'owner of A', operation: renameOrganizationA, expected: denied },
  { behaviour: 'a member cannot rename the organization', actor: 'member of A', operation: renameOrganizationA, expected: denied },
  { behaviour: 'the owner cannot delete the organization directly', actor: 'owner of A', operation: deleteOrganizationA, expected: denied },
  { behaviour: 'anon cannot create an organization', actor: 'anon', operation: createOrganization, expected: denied },
  { behaviour: 'the service role creates organizations (sign-up)', actor: 'service role', operation: createOrganization, expected: insertsOneRow },
  { behaviour: 'the service role renames organizations', actor: 'service role', operation: renameOrganizationA, expected: rows('orgA') },
  // profiles
  { behaviour: 'the owner of A sees the people of A', actor: 'owner of A', operation: selectProfiles, expected: rows('ownerA', 'adminA', 'memberA') },
  { behaviour: 'a member of A sees the people of A', actor: 'member of A', operation: selectProfiles, expected: rows('ownerA', 'adminA', 'memberA') },
  { behaviour: 'a user of B sees nobody of A', actor: 'user of B', operation: selectProfiles, expected: rows('ownerB') },
  { behaviour: 'anon cannot read profiles', actor: 'anon', operation: selectProfiles, expected: denied },
  { behaviour: 'a user of B cannot join organization A', actor: 'user of B', operation: joinOrganizationA, expected: denied },
  { behaviour: 'a member cannot promote themselves to owner', actor: 'member of A', operation: promoteSelfToOwner, expected: denied },
  { behaviour: 'an admin cannot promote themselves to owner', actor: 'admin of A', operation: promoteSelfToOwner, expected: denied },
  { behaviour: 'the owner cannot remove a member directly', actor: 'owner of A', operation: removeMemberOfA, expected: denied },
  { behaviour: 'anon cannot remove a member', actor: 'anon', operation: removeMemberOfA, expected: denied },
  { behaviour: 'the service role removes members', actor: 'service role', operation: removeMemberOfA, expected: rows('memberA') },
];

describe('row-level security on organizations and profiles', () => {
  useRoleMatrix().checkEach(cases);
});
