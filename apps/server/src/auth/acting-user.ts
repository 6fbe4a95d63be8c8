import type { OrgRole } from '@app/contracts';
import { type Database, type Tx, withUser } from '@app/db';

/** Whom a service acts for: the person, not the request they sent. */
export interface ActingUser {
  userId: string;
  email: string;
  organizationId: string;
  role: OrgRole;
}

/** Runs `fn` in one transaction as `user`, under row-level security. */
export function asUser<T>(
  db: Database,
  user: Pick<ActingUser, 'userId' | 'email'>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return withUser(db, { sub: user.userId, role: 'authenticated', email: user.email }, fn);
}
