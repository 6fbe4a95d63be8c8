import type { OrgRole } from '@app/contracts';
import {
  type Database,
  isUniqueViolation,
  organizations,
  profiles,
  type Tx,
  users,
  withServiceRole,
} from '@app/db';
import { DomainError } from '../domain-error.ts';
import { hashPassword } from './password.ts';

/** The email is already taken (case-insensitively). */
export class EmailTakenError extends DomainError {
  readonly kind = 'conflict';

  constructor() {
    super('An account with this email already exists. Sign in instead.', { field: 'email' });
  }
}

async function insertUser(tx: Tx, email: string, passwordHash: string): Promise<string> {
  try {
    const [user] = await tx
      .insert(users)
      .values({ email: email.toLowerCase(), encryptedPassword: passwordHash })
      .returning({ id: users.id });
    return user!.id;
  } catch (error) {
    // The query's parameters (the password hash) must not travel up into logs.
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw new Error('Could not create the user.');
  }
}

export interface NewOrganization {
  organizationName: string;
  email: string;
  password: string;
  displayName?: string | undefined;
}

/** Sign-up: the organization, its owner's user and profile, in one service-role transaction. */
export async function createOrganizationWithOwner(
  db: Database,
  input: NewOrganization,
): Promise<{ userId: string; organizationId: string }> {
  const passwordHash = await hashPassword(input.password);
  return withServiceRole(db, async (tx) => {
    const userId = await insertUser(tx, input.email, passwordHash);
    const [organization] = await tx
      .insert(organizations)
      .values({ name: input.organizationName })
      .returning({ id: organizations.id });
    const organizationId = organization!.id;
    await tx
      .insert(profiles)
      .values({ id: userId, organizationId, role: 'owner', displayName: input.displayName ?? null });
    return { userId, organizationId };
  });
}

export interface NewMember {
  organizationId: string;
  email: string;
  password: string;
  role: OrgRole;
  displayName?: string;
}

/**
 * Adds a user to an existing organization. Not a procedure (inviting is out of
 * scope): tests, end-to-end seeding and the demo call it.
 */
export async function addOrganizationMember(db: Database, member: NewMember): Promise<{ userId: string }> {
  const passwordHash = await hashPassword(member.password);
  return withServiceRole(db, async (tx) => {
    const userId = await insertUser(tx, member.email, passwordHash);
    await tx.insert(profiles).values({
      id: userId,
      organizationId: member.organizationId,
      role: member.role,
      displayName: member.displayName ?? null,
    });
    return { userId };
  });
}
