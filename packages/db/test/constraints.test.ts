import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { withUser } from '../src/client.ts';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappMessages as messages,
  organizations,
} from '../src/schema.ts';
import { useTestDatabase } from '../src/vitest.ts';
import { accountSidFor, e164, pgCode, seedWorld, type World } from './support/world.ts';

// What the tables themselves guarantee, whoever writes to them.

const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';
const NOT_NULL_VIOLATION = '23502';

describe('table constraints and triggers', () => {
  const database = useTestDatabase();
  let world: World;
  beforeAll(async () => {
    world = await seedWorld(database.db);
  });

  async function codeOf(statement: Promise<unknown>): Promise<string | undefined> {
    try {
      await statement;
      return undefined;
    } catch (error) {
      return pgCode(error);
    }
  }

  const connection = (overrides: Partial<typeof connections.$inferInsert> = {}) => ({
    organizationId: world.orgA,
    twilioAccountSid: accountSidFor(),
    twilioAuthTokenHash: 'v1.k1.iv.tag.ciphertext',
    whatsappNumber: e164(),
    ...overrides,
  });

  it('a WhatsApp number can be connected only once, across all organizations', async () => {
    const [a] = await database.db
      .select({ number: connections.whatsappNumber })
      .from(connections)
      .where(eq(connections.id, world.connA));
    expect(
      await codeOf(
        database.db
          .insert(connections)
          .values(connection({ organizationId: world.orgB, whatsappNumber: a?.number })),
      ),
    ).toBe(UNIQUE_VIOLATION);
  });

  // FIX 8 (20260205): Twilio's sandbox number is shared by every Twilio account.
  it('the sandbox number can be connected once per Twilio account, by any number of organizations', async () => {
    const sandbox = '+14155238886';
    const accountA = accountSidFor();
    const accountB = accountSidFor();
    expect(
      await codeOf(
        database.db
          .insert(connections)
          .values(connection({ twilioAccountSid: accountA, whatsappNumber: sandbox })),
      ),
    ).toBeUndefined();
    expect(
      await codeOf(
        database.db
          .insert(connections)
          .values(
            connection({ organizationId: world.orgB, twilioAccountSid: accountB, whatsappNumber: sandbox }),
          ),
      ),
    ).toBeUndefined();
    // The same account's sandbox a second time, even from another organization.
    expect(
      await codeOf(
        database.db
          .insert(connections)
          .values(
            connection({ organizationId: world.orgB, twilioAccountSid: accountA, whatsappNumber: sandbox }),
          ),
      ),
    ).toBe(UNIQUE_VIOLATION);
  });

  it('a real number stays unique across Twilio accounts too', async () => {
    const number = e164();
    await database.db.insert(connections).values(connection({ whatsappNumber: number }));
    expect(
      await codeOf(
        database.db.insert(connections).values(
          connection({
            organizationId: world.orgB,
            twilioAccountSid: accountSidFor(),
            whatsappNumber: number,
          }),
        ),
      ),
    ).toBe(UNIQUE_VIOLATION);
  });

  it('a connection’s number must be E.164', async () => {
    for (const whatsappNumber of ['14155238886', 'whatsapp:+14155238886', '+1 415 523 8886', '+0123456789']) {
      expect({
        whatsappNumber,
        code: await codeOf(database.db.insert(connections).values(connection({ whatsappNumber }))),
      }).toEqual({ whatsappNumber, code: CHECK_VIOLATION });
    }
  });

  it('a connection’s Account SID must be AC and 32 lower-case hex characters', async () => {
    for (const twilioAccountSid of ['AC123', `AC${'A'.repeat(32)}`, `PN${'a'.repeat(32)}`]) {
      expect({
        twilioAccountSid,
        code: await codeOf(database.db.insert(connections).values(connection({ twilioAccountSid }))),
      }).toEqual({ twilioAccountSid, code: CHECK_VIOLATION });
    }
  });

  it('a friendly name is at most 64 characters', async () => {
    expect(
      await codeOf(database.db.insert(connections).values(connection({ friendlyName: 'x'.repeat(65) }))),
    ).toBe(CHECK_VIOLATION);
    expect(
      await codeOf(database.db.insert(connections).values(connection({ friendlyName: 'x'.repeat(64) }))),
    ).toBe(undefined);
  });

  it('an event always belongs to a connection (the seed allowed none)', async () => {
    expect(
      await codeOf(
        database.db.execute(sql`
          insert into twilio_whatsapp_webhook_events (message_sid, event_type, idempotency_key, payload)
          values ('SM1', 'message', 'message:SM1', '{}')`),
      ),
    ).toBe(NOT_NULL_VIOLATION);
  });

  it('an event’s type and processing status are from the known lists', async () => {
    expect(
      await codeOf(
        database.db.execute(sql`
          insert into twilio_whatsapp_webhook_events (connection_id, message_sid, event_type, idempotency_key, payload)
          values (${world.connA}, 'SMx', 'voice', 'voice:SMx', '{}')`),
      ),
    ).toBe(CHECK_VIOLATION);
    expect(
      await codeOf(
        database.db.execute(
          sql`update twilio_whatsapp_webhook_events set status = 'done' where id = ${world.eventA}`,
        ),
      ),
    ).toBe(CHECK_VIOLATION);
  });

  it('updating a connection moves its updated_at forward', async () => {
    const before = await database.db
      .select({ updatedAt: connections.updatedAt })
      .from(connections)
      .where(eq(connections.id, world.connA));
    await withUser(database.db, { sub: world.adminA, role: 'authenticated' }, (tx) =>
      tx.update(connections).set({ friendlyName: 'touched' }).where(eq(connections.id, world.connA)),
    );
    const after = await database.db
      .select({ updatedAt: connections.updatedAt })
      .from(connections)
      .where(eq(connections.id, world.connA));
    expect(after[0]?.updatedAt.getTime()).toBeGreaterThan(before[0]?.updatedAt.getTime() ?? Infinity);
  });

  it('bookkeeping (reconciliation lease and window, which token signed) leaves updated_at alone', async () => {
    const updatedAt = async () =>
      (
        await database.db
          .select({ updatedAt: connections.updatedAt })
          .from(connections)
          .where(eq(connections.id, world.connA))
      )[0]?.updatedAt.getTime();
    const before = await updatedAt();
    for (const set of [
      { reconcileLeaseUntil: new Date(Date.now() + 60_000) },
      { reconcileLeaseUntil: null, lastReconciledAt: new Date() },
      { lastSignedWithCurrentAt: new Date() },
      { lastSignedWithPreviousAt: new Date() },
    ]) {
      await database.db.update(connections).set(set).where(eq(connections.id, world.connA));
    }
    expect(await updatedAt()).toBe(before);
    await database.db
      .update(connections)
      .set({ friendlyName: 'renamed', lastReconciledAt: new Date() })
      .where(eq(connections.id, world.connA));
    expect(await updatedAt()).toBeGreaterThan(before ?? Infinity);
  });

  it('message statuses rank so that a late callback never moves a message backwards', async () => {
    const order = ['queued', 'sending', 'sent', 'failed', 'delivered', 'read'];
    const rows = await database.db.execute<{ status: string; rank: number }>(sql`
      select s as status, app_private.twilio_message_status_rank(s) as rank
      from unnest(string_to_array(${order.join(',')}, ',')) with ordinality as t(s, n) order by n`);
    const ranks = rows.map((r) => r.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const rank = Object.fromEntries(rows.map((r) => [r.status, r.rank]));
    expect(rank.sent).toBeLessThan(rank.delivered ?? 0);
    expect(rank.failed).toBeLessThan(rank.delivered ?? 0); // delivered never turns into failed
    expect(rank.sent).toBeLessThan(rank.failed ?? 0); // but a sent message can still fail
  });

  it('deleting an organization removes its connections, their events and messages', async () => {
    const doomed = await seedWorld(database.db);
    await database.db.delete(organizations).where(eq(organizations.id, doomed.orgA));
    const [left] = await database.db.execute<{ connections: number; events: number; messages: number }>(sql`
      select
        (select count(*)::int from twilio_whatsapp_connections where id = ${doomed.connA}) as connections,
        (select count(*)::int from twilio_whatsapp_webhook_events where id = ${doomed.eventA}) as events,
        (select count(*)::int from twilio_whatsapp_messages where id = ${doomed.messageA}) as messages`);
    expect(left).toEqual({ connections: 0, events: 0, messages: 0 });
    const [b] = await database.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.id, doomed.messageB));
    expect(b?.id).toBe(doomed.messageB);
  });
});
