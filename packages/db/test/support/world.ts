import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { type Database, type Tx, withServiceRole, withUser } from '../../src/client.ts';
import {
  organizations,
  profiles,
  twilioWhatsappConnections,
  twilioWhatsappMessages,
  twilioWhatsappWebhookEvents,
  users,
} from '../../src/schema.ts';

// Two organizations seeded as the database owner (which bypasses RLS), and the
// people who act on them. Tests switch to a role exactly as the server does:
// withUser (SET LOCAL ROLE authenticated + request.jwt.claims), withServiceRole,
// or SET LOCAL ROLE anon.

export interface World {
  orgA: string;
  orgB: string;
  ownerA: string;
  adminA: string;
  memberA: string;
  ownerB: string;
  connA: string;
  connB: string;
  eventA: string;
  eventB: string;
  messageA: string;
  messageB: string;
}
export type WorldKey = keyof World;

export const accountSidFor = () => `AC${randomBytes(16).toString('hex')}`;
export const e164 = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** Seeds organizations A and B with an owner, admin and member of A and an owner of B. */
export async function seedWorld(db: Database): Promise<World> {
  const w: World = {
    orgA: randomUUID(),
    orgB: randomUUID(),
    ownerA: randomUUID(),
    adminA: randomUUID(),
    memberA: randomUUID(),
    ownerB: randomUUID(),
    connA: randomUUID(),
    connB: randomUUID(),
    eventA: randomUUID(),
    eventB: randomUUID(),
    messageA: randomUUID(),
    messageB: randomUUID(),
  };
  await db.insert(organizations).values([
    { id: w.orgA, name: 'Organization A' },
    { id: w.orgB, name: 'Organization B' },
  ]);
  const people = [
    { id: w.ownerA, org: w.orgA, role: 'owner' },
    { id: w.adminA, org: w.orgA, role: 'admin' },
    { id: w.memberA, org: w.orgA, role: 'member' },
    { id: w.ownerB, org: w.orgB, role: 'owner' },
  ] as const;
  await db.insert(users).values(people.map((p) => ({ id: p.id, email: `${p.id}@example.com` })));
  await db.insert(profiles).values(people.map((p) => ({ id: p.id, organizationId: p.org, role: p.role })));
  const connection = (id: string, organizationId: string) => ({
    id,
    organizationId,
    twilioAccountSid: accountSidFor(),
    twilioAuthTokenHash: 'v1.k1.iv.tag.ciphertext',
    whatsappNumber: e164(),
  });
  await db
    .insert(twilioWhatsappConnections)
    .values([connection(w.connA, w.orgA), connection(w.connB, w.orgB)]);
  const event = (id: string, connectionId: string) => ({
    id,
    connectionId,
    messageSid: `SM${randomBytes(16).toString('hex')}`,
    eventType: 'message' as const,
    idempotencyKey: `message:${id}`,
    payload: { Body: 'hello' },
  });
  await db.insert(twilioWhatsappWebhookEvents).values([event(w.eventA, w.connA), event(w.eventB, w.connB)]);
  const message = (id: string, organizationId: string, connectionId: string) => ({
    id,
    organizationId,
    connectionId,
    messageSid: `SM${randomBytes(16).toString('hex')}`,
    direction: 'inbound' as const,
    fromNumber: 'whatsapp:+15550000001',
    toNumber: 'whatsapp:+15550000002',
    body: 'hello',
    status: 'received' as const,
  });
  await db
    .insert(twilioWhatsappMessages)
    .values([message(w.messageA, w.orgA, w.connA), message(w.messageB, w.orgB, w.connB)]);
  return w;
}

export type Actor = 'owner of A' | 'admin of A' | 'member of A' | 'user of B' | 'anon' | 'service role';

export function userIdOf(world: World, actor: Actor): string | null {
  switch (actor) {
    case 'owner of A':
      return world.ownerA;
    case 'admin of A':
      return world.adminA;
    case 'member of A':
      return world.memberA;
    case 'user of B':
      return world.ownerB;
    default:
      return null;
  }
}

/** Runs `fn` in a transaction as `actor`, exactly as the server would switch to it. */
export function actAs<T>(db: Database, world: World, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (actor === 'service role') return withServiceRole(db, fn);
  if (actor === 'anon') {
    return db.transaction(async (tx) => {
      await tx.execute(sql`set local role anon`);
      return fn(tx);
    });
  }
  const sub = userIdOf(world, actor);
  if (!sub) throw new Error(`no user for ${actor}`);
  return withUser(db, { sub, role: 'authenticated' }, fn);
}

/** What an attempt produced: the rows it returned, or the SQLSTATE it failed with. */
export type Outcome = { rows: string[] } | { error: string };

class RollbackWith extends Error {
  constructor(readonly rows: string[]) {
    super('rollback');
  }
}

/** PostgreSQL's SQLSTATE of an error, whether Drizzle wrapped the postgres.js error or not. */
export function pgCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Like actAs, but always rolls back, so every attempt sees the same seeded world;
 * returns the ids `fn` returned or the error code.
 */
export async function attempt(
  db: Database,
  world: World,
  actor: Actor,
  fn: (tx: Tx, actorId: string | null) => Promise<{ id: string }[]>,
): Promise<Outcome> {
  try {
    await actAs(db, world, actor, async (tx) => {
      const rows = await fn(tx, userIdOf(world, actor));
      throw new RollbackWith(rows.map((r) => r.id));
    });
    throw new Error('unreachable: the attempt committed');
  } catch (error) {
    if (error instanceof RollbackWith) return { rows: [...error.rows].sort() };
    const code = pgCode(error);
    if (code === undefined) throw error;
    return { error: code };
  }
}

export const INSUFFICIENT_PRIVILEGE = '42501';
