import { randomUUID } from 'node:crypto';
import { type MessageStatus, messageStatuses, type WhatsappConversation } from '@app/contracts';
import {
  type Database,
  organizations,
  profiles,
  type Tx,
  twilioWhatsappConnections,
  twilioWhatsappMessages,
  users,
  withUser,
} from '@app/db';
import { useTestDatabase } from '@app/db/vitest';
import { desc, eq, type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConnectionNotFoundError } from '../src/connections/errors.ts';
import { customerOf } from '../src/messages/customer-window.ts';
import {
  conversationFromRow,
  conversationsQuery,
  listConversations,
} from '../src/messages/list-conversations.ts';

// whatsapp.conversations.list walks the connection's customers through
// idx_twilio_wa_messages_customer instead of grouping every message. These tests
// hold it to the grouping's answers (kept below as the reference) on random
// histories, and to a plan whose reads follow the customers, not the messages.

const m = twilioWhatsappMessages;
const MINUTE = 60 * 1000;
const SENDER = 'whatsapp:+14155550100';

/**
 * The conversation list as it was answered before: one grouping pass over every
 * message. Its rows are shaped by the same conversationFromRow (unchanged): what is
 * compared is the query.
 */
async function referenceConversations(
  tx: Tx,
  input: { connectionId: string; limit: number },
): Promise<WhatsappConversation[]> {
  const rows = await referenceQuery(tx, input.connectionId, input.limit);
  return rows.map(conversationFromRow);
}

/** The grouping query itself (also explained below, to show what it reads). */
function referenceQuery(tx: Tx, connectionId: string, limit: number) {
  const customers = tx
    .select({
      customer: sql<string>`${customerOf}`.as('customer'),
      lastAt: sql<Date>`max(${m.createdAt})`.as('last_at'),
      lastInboundAt: sql<Date | null>`max(${m.createdAt}) filter (where ${m.direction} = 'inbound')`.as(
        'last_inbound_at',
      ),
      lastOutboundAt: sql<Date | null>`max(${m.createdAt}) filter (where ${m.direction} = 'outbound')`.as(
        'last_outbound_at',
      ),
    })
    .from(m)
    .where(eq(m.connectionId, connectionId))
    .groupBy(customerOf)
    .as('customers');

  return tx
    .select({
      customer: customers.customer,
      lastInboundAt: sql<string | null>`${customers.lastInboundAt}`,
      unreadCount: sql<number>`(
        select count(*)::int from ${m}
        where ${m.connectionId} = ${connectionId}
          and ${customerOf} = ${customers.customer}
          and ${m.direction} = 'inbound'
          and ${m.createdAt} > coalesce(${customers.lastOutboundAt}, '-infinity'::timestamptz)
      )`,
      customerName: sql<string | null>`(
        select ${m.profileName} from ${m}
        where ${m.connectionId} = ${connectionId}
          and ${customerOf} = ${customers.customer}
          and ${m.direction} = 'inbound' and ${m.profileName} is not null
        order by ${m.createdAt} desc, ${m.id} desc limit 1
      )`,
      last: sql<{
        id: string;
        direction: 'inbound' | 'outbound';
        body: string | null;
        buttonText: string | null;
        mediaCount: number;
        status: WhatsappConversation['lastMessage']['status'];
        at: string;
      }>`(
        select json_build_object(
          'id', ${m.id}, 'direction', ${m.direction}, 'body', ${m.body}, 'buttonText', ${m.buttonText},
          'mediaCount', jsonb_array_length(${m.media}), 'status', ${m.status}, 'at', ${m.createdAt})
        from ${m}
        where ${m.connectionId} = ${connectionId} and ${customerOf} = ${customers.customer}
        order by ${m.createdAt} desc, ${m.id} desc limit 1
      )`,
    })
    .from(customers)
    .orderBy(desc(customers.lastAt), customers.customer)
    .limit(limit);
}

/** A small seeded generator (mulberry32), so a failing history can be rebuilt from its seed. */
function randomFrom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

interface Tenant {
  organizationId: string;
  memberId: string;
}

async function seedTenant(db: Database, name: string): Promise<Tenant> {
  const organizationId = randomUUID();
  const memberId = randomUUID();
  await db.insert(organizations).values({ id: organizationId, name });
  await db.insert(users).values({ id: memberId, email: `${memberId}@example.com` });
  await db.insert(profiles).values({ id: memberId, organizationId, role: 'member' });
  return { organizationId, memberId };
}

let numberCounter = 0;
async function seedConnection(db: Database, tenant: Tenant): Promise<string> {
  const id = randomUUID();
  numberCounter += 1;
  await db.insert(twilioWhatsappConnections).values({
    id,
    organizationId: tenant.organizationId,
    twilioAccountSid: `AC${randomUUID().replaceAll('-', '')}`,
    twilioAuthTokenHash: 'v1.k1.iv.tag.ciphertext',
    whatsappNumber: `+1415555${String(1000 + numberCounter)}`,
  });
  return id;
}

/**
 * A random history on `connectionId`: customers who only write, who are only
 * written to, and both; directions interleaved; many messages (and customers'
 * latest messages) sharing one timestamp, so the (created_at, id) and customer
 * tie-breaks decide; profile names on some inbound messages only; bodies,
 * tapped buttons and media for the previews; statuses of every kind.
 */
async function seedHistory(db: Database, tenant: Tenant, connectionId: string, seed: number) {
  const random = randomFrom(seed);
  // Ticks 10 minutes apart from 47h03m ago: none lands near the 24-hour boundary,
  // so the window is the same whichever of the two answers reads the clock first.
  const start = Date.now() - 47 * 60 * MINUTE - 3 * MINUTE;
  const customerCount = 30 + random.int(30);
  const customers = Array.from({ length: customerCount }, (_, i) => {
    const number =
      random.pick(['+4477009', '+1555', '+33612', '+4915']) + String(10000 + i * 7 + random.int(5));
    const kind = random.pick(['both', 'both', 'both', 'inbound only', 'outbound only'] as const);
    // Some customers never send a profile name.
    return { address: `whatsapp:${number}`, kind, named: random.next() < 0.6 };
  });
  const rows: (typeof m.$inferInsert)[] = [];
  const messageCount = 600 + random.int(600);
  for (let i = 0; i < messageCount; i += 1) {
    const customer = random.pick(customers);
    const inbound =
      customer.kind === 'inbound only'
        ? true
        : customer.kind === 'outbound only'
          ? false
          : random.next() < 0.5;
    // Few distinct ticks: ties within a customer and across customers are common.
    const createdAt = new Date(
      start + random.int(120) * 10 * MINUTE + (random.next() < 0.2 ? random.int(3) : 0),
    );
    const body =
      random.next() < 0.15 ? null : `m${i} ${'x'.repeat(random.next() < 0.05 ? 130 : random.int(20))}`;
    const media =
      body === null && random.next() < 0.7
        ? Array.from({ length: 1 + random.int(2) }, () => ({
            url: 'https://example.com/x.jpg',
            contentType: 'image/jpeg',
          }))
        : [];
    rows.push({
      organizationId: tenant.organizationId,
      connectionId,
      messageSid: `SM${randomUUID().replaceAll('-', '')}`,
      direction: inbound ? 'inbound' : 'outbound',
      fromNumber: inbound ? customer.address : SENDER,
      toNumber: inbound ? SENDER : customer.address,
      body,
      media,
      profileName: inbound && customer.named && random.next() < 0.4 ? `Name ${random.int(1000)}` : null,
      buttonText: inbound && random.next() < 0.1 ? `Button ${random.int(10)}` : null,
      status: inbound
        ? 'received'
        : random.pick(
            messageStatuses.filter((s): s is MessageStatus => s !== 'received' && s !== 'receiving'),
          ),
      createdAt,
    });
  }
  for (let i = 0; i < rows.length; i += 500) await db.insert(m).values(rows.slice(i, i + 500));
}

describe('whatsapp.conversations.list reads the customers, not the history', () => {
  const database = useTestDatabase();
  let acme: Tenant;
  let globex: Tenant;
  const histories: { connectionId: string; seed: number }[] = [];

  beforeAll(async () => {
    const db = database.db;
    acme = await seedTenant(db, 'Acme');
    globex = await seedTenant(db, 'Globex');
    for (const seed of [1, 7, 2026]) {
      const connectionId = await seedConnection(db, acme);
      await seedHistory(db, acme, connectionId, seed);
      histories.push({ connectionId, seed });
    }
    // Another organization's history, with customers of the same numbers.
    await seedHistory(db, globex, await seedConnection(db, globex), 1);
    await db.execute(sql`analyze twilio_whatsapp_messages`);
  });

  const asMember = <T>(tenant: Tenant, fn: (tx: Tx) => Promise<T>) =>
    withUser(database.db, { sub: tenant.memberId, role: 'authenticated' }, fn);

  it('gives the grouping’s rows, in its order, with its fields, on random histories and every page size', async () => {
    for (const { connectionId, seed } of histories) {
      for (const limit of [1, 2, 3, 10, 25, 100, 500]) {
        const [actual, expected] = await asMember(acme, async (tx) => [
          await listConversations(tx, { connectionId, limit }),
          await referenceConversations(tx, { connectionId, limit }),
        ]);
        expect(actual, `seed ${seed}, limit ${limit}`).toEqual(expected);
      }
      // The histories have what the comparison is meant to exercise.
      const all = await asMember(acme, (tx) => listConversations(tx, { connectionId, limit: 500 }));
      expect(all.length).toBeGreaterThan(25);
      expect(all.some((c) => c.lastInboundAt === null)).toBe(true);
      expect(all.some((c) => c.unreadCount > 1)).toBe(true);
      expect(all.some((c) => c.customerName !== null)).toBe(true);
      expect(all.some((c) => c.lastInboundAt !== null && c.customerName === null)).toBe(true);
      const latest = all.map((c) => c.lastMessage.at);
      expect(new Set(latest).size).toBeLessThan(latest.length);
    }
  });

  it('another organization’s member sees no conversation of the connection', async () => {
    const { connectionId } = histories[0]!;
    await expect(
      asMember(globex, (tx) => listConversations(tx, { connectionId, limit: 100 })),
    ).rejects.toThrow(ConnectionNotFoundError);
    // Every probe of the query runs under row-level security on its own.
    const rows = await asMember(globex, (tx) => tx.execute(conversationsQuery(connectionId, 100)));
    expect(rows).toHaveLength(0);
  });

  describe('on a connection with 50,000 messages from 50 customers', () => {
    let connectionId: string;

    beforeAll(async () => {
      connectionId = await seedConnection(database.db, acme);
      // Directions alternate in runs of 1 to 4, so each customer's last inbound
      // and outbound are a few rows apart, as in a conversation.
      await database.db.execute(sql`
        insert into twilio_whatsapp_messages
          (organization_id, connection_id, message_sid, direction, from_number, to_number, body, profile_name,
           status, created_at)
        select ${acme.organizationId}::uuid, ${connectionId}::uuid, 'SM' || md5(${connectionId} || g),
               d.direction,
               case when d.direction = 'inbound' then c.address else ${SENDER} end,
               case when d.direction = 'inbound' then ${SENDER} else c.address end,
               'message ' || g,
               case when d.direction = 'inbound' and g % 3 = 0 then 'Customer ' || (g % 50) end,
               case when d.direction = 'inbound' then 'received' else 'delivered' end,
               now() - (g || ' seconds')::interval
        from generate_series(1, 50000) g,
             lateral (select 'whatsapp:+4477009' || lpad((g % 50)::text, 5, '0') as address) c,
             lateral (select case when (g / 50) % 7 in (0, 2, 3) then 'outbound' else 'inbound' end as direction) d`);
      await database.db.execute(sql`analyze twilio_whatsapp_messages`);
    });

    interface PlanNode {
      'Node Type': string;
      'Relation Name'?: string;
      'Index Name'?: string;
      'Actual Rows': number;
      'Actual Loops': number;
      'Rows Removed by Filter'?: number;
      'Rows Removed by Index Recheck'?: number;
      Plans?: PlanNode[];
    }
    const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

    /** EXPLAIN ANALYZE as Acme's member (under row-level security, as the server runs it). */
    async function explain(query: (tx: Tx) => SQL | { getSQL(): SQL }) {
      return asMember(acme, async (tx) => {
        const [row] = await tx.execute<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
          sql`explain (analyze, format json) ${query(tx)}`,
        );
        const plan = row!['QUERY PLAN'][0];
        const messageScans = nodesOf(plan.Plan).filter(
          (n) =>
            n['Relation Name'] === 'twilio_whatsapp_messages' ||
            (n['Node Type'] === 'Bitmap Index Scan' && n['Index Name']?.startsWith('idx_twilio_wa_messages')),
        );
        // Rows a scan looked at: those it returned and those its filter dropped
        // (EXPLAIN shows both per loop).
        const looked = (n: PlanNode) =>
          (n['Actual Rows'] +
            (n['Rows Removed by Filter'] ?? 0) +
            (n['Rows Removed by Index Recheck'] ?? 0)) *
          n['Actual Loops'];
        return {
          executionMs: plan['Execution Time'],
          messageScans,
          messageRowsRead: messageScans.reduce((sum, n) => sum + looked(n), 0),
        };
      });
    }

    it('probes idx_twilio_wa_messages_customer and reads a few rows per customer, not the history', async () => {
      const walk = await explain(() => conversationsQuery(connectionId, 100));
      const grouping = await explain((tx) => referenceQuery(tx, connectionId, 100));

      // Only ordered probes of the customer index: no Seq Scan, and no bitmap scan
      // (which reads every match of its condition, not the first few).
      expect(walk.messageScans.length).toBeGreaterThan(0);
      for (const scan of walk.messageScans) {
        expect(scan).toMatchObject({
          'Node Type': 'Index Scan',
          'Index Name': 'idx_twilio_wa_messages_customer',
        });
      }
      expect(walk.messageRowsRead).toBeLessThan(2_500);
      // The measure tells the two apart: the grouping reads the whole history.
      expect(grouping.messageRowsRead).toBeGreaterThanOrEqual(50_000);
      console.info(
        `conversations.list on 50,000 messages / 50 customers: grouping ${grouping.executionMs.toFixed(1)} ms ` +
          `(${grouping.messageRowsRead} message rows), walk ${walk.executionMs.toFixed(1)} ms (${walk.messageRowsRead} message rows)`,
      );

      // And the answers agree there too.
      const [actual, expected] = await asMember(acme, async (tx) => [
        await listConversations(tx, { connectionId, limit: 100 }),
        await referenceConversations(tx, { connectionId, limit: 100 }),
      ]);
      expect(actual).toHaveLength(50);
      expect(actual).toEqual(expected);
    });
  });
});
