import { type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../src/vitest.ts';
import { claimDueWebhookEventsQuery } from '../src/webhook-events.ts';
import { seedWorld, type World } from './support/world.ts';

// The hot queries are answered from their indexes. The tables get enough rows
// (and fresh statistics) for the planner to prefer an index on its own; no
// planner switches are turned off.

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function scansOf(node: PlanNode): { nodeType: string; indexName: string | undefined }[] {
  return [
    { nodeType: node['Node Type'], indexName: node['Index Name'] },
    ...(node.Plans ?? []).flatMap(scansOf),
  ];
}

describe('query plans of the hot queries', () => {
  const database = useTestDatabase();
  let world: World;

  beforeAll(async () => {
    world = await seedWorld(database.db);
    const db = database.db;
    // 300 organizations with 5 connections each.
    await db.execute(sql`
      with orgs as (
        insert into organizations (name) select 'org ' || g from generate_series(1, 300) g returning id
      )
      insert into twilio_whatsapp_connections
        (organization_id, twilio_account_sid, twilio_auth_token_hash, whatsapp_number)
      select orgs.id, 'AC' || md5(orgs.id::text || n), 'v1.k1.iv.tag.ct',
             '+1' || (2000000000 + row_number() over ())::text
      from orgs cross join generate_series(1, 5) n`);
    // 10,000 webhook events, 1% pending; 10,000 messages, 100 per connection.
    await db.execute(sql`
      insert into twilio_whatsapp_webhook_events
        (connection_id, message_sid, event_type, idempotency_key, payload, status, next_attempt_at, processed_at)
      select ids[1 + g % 1500], 'SM' || md5(g::text), 'message', 'message:' || g, '{}'::jsonb,
             case when g % 100 = 0 then 'pending' else 'processed' end,
             now() - (g || ' seconds')::interval,
             case when g % 100 = 0 then null else now() end
      from generate_series(1, 10000) g,
           (select array_agg(id) as ids from twilio_whatsapp_connections) c`);
    await db.execute(sql`
      insert into twilio_whatsapp_messages
        (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status, created_at)
      select c.organization_id, c.id, 'SM' || md5('m' || g || c.id::text), 'inbound',
             'whatsapp:+15550000001', 'whatsapp:+15550000002', 'hi', 'received',
             now() - (g || ' minutes')::interval
      from (select * from twilio_whatsapp_connections order by id = ${world.connA} desc, id limit 100) c
      cross join generate_series(1, 100) g`);
    await db.execute(sql`analyze`);
  });

  async function scans(query: SQL) {
    const [row] = await database.db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      sql`explain (format json) ${query}`,
    );
    const plan = row?.['QUERY PLAN'][0]?.Plan;
    if (!plan) throw new Error('no plan');
    return scansOf(plan);
  }

  const indexScanOn = (indexName: string) =>
    expect.arrayContaining([
      { nodeType: expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Index Scan)$/), indexName },
    ]);

  it('a connection is found by id through its primary key', async () => {
    expect(await scans(sql`select * from twilio_whatsapp_connections where id = ${world.connA}`)).toEqual(
      indexScanOn('twilio_whatsapp_connections_pkey'),
    );
  });

  it('the worker’s claim of due pending events uses idx_twilio_wa_webhook_events_due', async () => {
    const plan = await scans(claimDueWebhookEventsQuery(100));
    expect(plan).toEqual(indexScanOn('idx_twilio_wa_webhook_events_due'));
    // The order comes from the index: no sort of every pending row.
    expect(plan.map((s) => s.nodeType)).not.toContain('Sort');
  });

  it('the connections of an organization use idx_twilio_wa_connections_org', async () => {
    expect(
      await scans(sql`select * from twilio_whatsapp_connections where organization_id = ${world.orgA}`),
    ).toEqual(indexScanOn('idx_twilio_wa_connections_org'));
  });

  it('a page of a connection’s messages uses idx_twilio_wa_messages_connection, already in order', async () => {
    const plan = await scans(sql`
      select * from twilio_whatsapp_messages
      where connection_id = ${world.connA}
      order by created_at desc, id desc
      limit 50`);
    expect(plan).toEqual(indexScanOn('idx_twilio_wa_messages_connection'));
    expect(plan.map((s) => s.nodeType)).not.toContain('Sort');
  });

  it('a customer’s latest message (the 24-hour window, a conversation’s last line) uses idx_twilio_wa_messages_customer, in order', async () => {
    const plan = await scans(sql`
      select created_at from twilio_whatsapp_messages
      where connection_id = ${world.connA}
        and (case when direction = 'inbound' then from_number else to_number end) = 'whatsapp:+15550000001'
        and direction = 'inbound'
      order by created_at desc, id desc
      limit 1`);
    expect(plan).toEqual(indexScanOn('idx_twilio_wa_messages_customer'));
    expect(plan.map((s) => s.nodeType)).not.toContain('Sort');
  });
});
