import { createHash, randomBytes } from 'node:crypto';
import { type Database, organizations, profiles, sessions, type Tx, users, withServiceRole } from '@app/db';
import { and, eq, gt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../services.ts';
import type { ActingUser } from './acting-user.ts';

/** The signed-in person behind a request, and their organization's name for the SPA. */
export interface SessionUser extends ActingUser {
  organizationName: string;
}

/** The session cookie: a random token, signed with SESSION_SECRET; only its SHA-256 is stored. */
export const SESSION_COOKIE = 'wa_session';

/** Absolute lifetime: a session ends 7 days after sign-in, however active. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The raw session token carried by the request's (validly signed) cookie, if any. */
export function sessionTokenFrom(req: FastifyRequest): string | null {
  const raw = req.cookies[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = req.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : null;
}

/** The user behind the request's session cookie, or null (no cookie, forged, expired or deleted). */
export async function resolveSessionUser(
  services: AppServices,
  req: FastifyRequest,
): Promise<SessionUser | null> {
  const token = sessionTokenFrom(req);
  if (!token) return null;
  // One round trip per request: the session and its user, organization and role.
  const [row] = await withServiceRole(services.db, (tx) =>
    tx
      .select(signedInUserColumns)
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(profiles, eq(profiles.id, users.id))
      .innerJoin(organizations, eq(organizations.id, profiles.organizationId))
      .where(and(eq(sessions.tokenHash, hashSessionToken(token)), gt(sessions.expiresAt, new Date())))
      .limit(1),
  );
  return row ?? null;
}

/**
 * Starts a session for `userId`: a new random token every time (so a cookie set
 * before sign-in never becomes a signed-in one), its hash stored, the token sent
 * as a signed, httpOnly, SameSite=Lax cookie (Secure when PUBLIC_URL is https).
 */
export async function startSession(
  services: Pick<AppServices, 'db' | 'publicUrl'>,
  reply: FastifyReply,
  userId: string,
): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await withServiceRole(services.db, (tx) =>
    tx.insert(sessions).values({ tokenHash: hashSessionToken(token), userId, expiresAt }),
  );
  reply.setCookie(SESSION_COOKIE, token, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: services.publicUrl.protocol === 'https:',
    expires: expiresAt,
  });
}

/** Deletes the session the request's cookie names (only that one) and clears the cookie. */
export async function endSession(
  services: Pick<AppServices, 'db' | 'publicUrl'>,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const token = sessionTokenFrom(req);
  if (token) await deleteSessionByToken(services.db, token);
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: services.publicUrl.protocol === 'https:',
  });
}

export async function deleteSessionByToken(db: Database, token: string): Promise<void> {
  await withServiceRole(db, (tx) =>
    tx.delete(sessions).where(eq(sessions.tokenHash, hashSessionToken(token))),
  );
}

/** What a signed-in user is: shared by the per-request lookup and the one after sign-in. */
const signedInUserColumns = {
  userId: users.id,
  email: users.email,
  organizationId: profiles.organizationId,
  organizationName: organizations.name,
  role: profiles.role,
};

/** The user, organization and role behind a user id, or undefined when they have no profile. */
async function findSignedInUser(tx: Tx, userId: string): Promise<SessionUser | undefined> {
  const [row] = await tx
    .select(signedInUserColumns)
    .from(users)
    .innerJoin(profiles, eq(profiles.id, users.id))
    .innerJoin(organizations, eq(organizations.id, profiles.organizationId))
    .where(eq(users.id, userId))
    .limit(1);
  return row;
}

/** The user, organization and role behind a user id (after sign-in or sign-up). */
export async function loadSignedInUser(db: Database, userId: string): Promise<SessionUser> {
  const user = await withServiceRole(db, (tx) => findSignedInUser(tx, userId));
  if (!user) throw new Error('The signed-in user has no profile.');
  return user;
}
