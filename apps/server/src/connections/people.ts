import { type Database, profiles, users, withServiceRole } from '@app/db';
import { and, eq, inArray } from 'drizzle-orm';

/**
 * Display names (or the email when they gave no name) of these people, by id, for a
 * "by whom" shown to their colleagues. Read as the service role: users cannot read
 * auth.users, nor profiles beyond their own. The ids must come from rows the caller's
 * RLS read showed them, and only people of these organizations are named.
 */
export async function displayNamesOf(
  db: Database,
  ids: readonly string[],
  organizationIds: readonly string[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const people = await withServiceRole(db, (tx) =>
    tx
      .select({ id: profiles.id, name: profiles.displayName, email: users.email })
      .from(profiles)
      .innerJoin(users, eq(users.id, profiles.id))
      .where(
        and(inArray(profiles.id, wanted), inArray(profiles.organizationId, [...new Set(organizationIds)])),
      ),
  );
  return new Map(people.map((p) => [p.id, p.name ?? p.email]));
}
