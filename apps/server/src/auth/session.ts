import { createHash } from 'node:crypto';
import type { OrgRole } from '@app/contracts';
import { profiles, sessions, users, withServiceRole } from '@app/db';
import { and, eq, gt } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../services.ts';
import type { SessionUser } from '../trpc/context.ts';

/** The session cookie: a random token, signed with SESSION_SECRET; only its SHA-256 is stored. */
export const SESSION_COOKIE = 'wa_session';

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
  const rows = await withServiceRole(services.db, (tx) =>
    tx
      .select({
        sessionId: sessions.id,
        userId: users.id,
        email: users.email,
        organizationId: profiles.organizationId,
        role: profiles.role,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(profiles, eq(profiles.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hashSessionToken(token)), gt(sessions.expiresAt, new Date())))
      .limit(1),
  );
  const row = rows[0];
  return row ? { ...row, role: row.role as OrgRole } : null;
}
