import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { withServiceRole } from '../src/client.ts';
import { useTestDatabase } from '../src/vitest.ts';
import { seedWorld, type World } from './support/world.ts';

// The seed plan's success criteria and the fixes the migrations list (FIX 1..8),
// checked against the migrated catalog and by behaviour.

const SEED_CONNECTION_COLUMNS = [
  'id',
  'organization_id',
  'twilio_account_sid',
  'twilio_auth_token_hash',
  'whatsapp_number',
  'whatsapp_number_sid',
  'friendly_name',
  'is_active',
  'webhook_configured',
  'last_verified_at',
  'created_at',
  'updated_at',
];
const SEED_EVENT_COLUMNS = [
  'id',
  'connection_id',
  'message_sid',
  'event_type',
  'payload_hash',
  'processed_at',
  'status',
  'error_message',
  'created_at',
];
// FIX 2 and FIX 3: what the worker needs to process an event later, exactly once.
const FIX_EVENT_COLUMNS = ['message_status', 'idempotency_key', 'payload', 'attempts', 'next_attempt_at'];

const SEED_INDEXES = [
  'idx_twilio_wa_connections_org',
  'idx_twilio_wa_connections_number',
  'idx_twilio_wa_connections_active',
  'idx_twilio_wa_webhook_events_status',
  'idx_twilio_wa_webhook_events_sid',
];
const ADDED_INDEXES = [
  'idx_twilio_wa_webhook_events_due',
  'idx_twilio_wa_webhook_events_connection',
  'idx_twilio_wa_webhook_events_processed',
  'idx_twilio_wa_messages_connection',
  'idx_twilio_wa_messages_org',
  'idx_profiles_org',
];

describe('seed plan 21-01 on the migrated database', () => {
  const database = useTestDatabase();

  async function columnsOf(table: string): Promise<string[]> {
    const rows = await database.db.execute<{ column_name: string }>(sql`
      select column_name from information_schema.columns
      where table_schema = 'public' and table_name = ${table}`);
    return rows.map((r) => r.column_name);
  }

  it('twilio_whatsapp_connections exists with every column of the seed', async () => {
    expect(await columnsOf('twilio_whatsapp_connections')).toEqual(
      expect.arrayContaining(SEED_CONNECTION_COLUMNS),
    );
  });

  it('twilio_whatsapp_webhook_events exists with every column of the seed and what processing needs', async () => {
    expect(await columnsOf('twilio_whatsapp_webhook_events')).toEqual(
      expect.arrayContaining([...SEED_EVENT_COLUMNS, ...FIX_EVENT_COLUMNS]),
    );
  });

  it('every table in public has row-level security enabled', async () => {
    const rows = await database.db.execute<{ relname: string; relrowsecurity: boolean }>(sql`
      select c.relname, c.relrowsecurity from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' order by c.relname`);
    expect(rows.map((r) => r.relname)).toEqual(
      expect.arrayContaining([
        'organizations',
        'profiles',
        'twilio_whatsapp_connections',
        'twilio_whatsapp_messages',
        'twilio_whatsapp_webhook_events',
      ]),
    );
    expect(rows.filter((r) => !r.relrowsecurity).map((r) => r.relname)).toEqual([]);
  });

  it('the seed’s indexes and the added ones exist under their names', async () => {
    const rows = await database.db.execute<{ indexname: string }>(sql`
      select indexname from pg_indexes where schemaname = 'public'`);
    expect(rows.map((r) => r.indexname)).toEqual(expect.arrayContaining([...SEED_INDEXES, ...ADDED_INDEXES]));
  });

  it('the seed’s policies keep their names', async () => {
    const rows = await database.db.execute<{ tablename: string; policyname: string; cmd: string }>(sql`
      select tablename, policyname, cmd from pg_policies
      where tablename like 'twilio_whatsapp_%' order by tablename, policyname`);
    expect(rows.map((r) => ({ ...r }))).toEqual(
      expect.arrayContaining([
        {
          tablename: 'twilio_whatsapp_connections',
          policyname: 'Admins can manage twilio whatsapp connections',
          cmd: 'ALL',
        },
        {
          tablename: 'twilio_whatsapp_connections',
          policyname: 'Users can view own org twilio whatsapp connections',
          cmd: 'SELECT',
        },
      ]),
    );
  });

  it('FIX 1: the auth token column is documented as ciphertext, not a hash', async () => {
    const [row] = await database.db.execute<{ comment: string | null }>(sql`
      select col_description('public.twilio_whatsapp_connections'::regclass, a.attnum) as comment
      from pg_attribute a
      where a.attrelid = 'public.twilio_whatsapp_connections'::regclass
        and a.attname = 'twilio_auth_token_hash'`);
    expect(row?.comment).toMatch(/ciphertext/i);
    expect(row?.comment).toMatch(/AES-256-GCM/);
  });

  it('FIX 5: every policy applies to authenticated only and reads the caller through (select auth.uid())', async () => {
    const rows = await database.db.execute<{ policyname: string; roles: string[] | string }>(sql`
      select policyname, roles from pg_policies where schemaname in ('public', 'auth', 'app_private')`);
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) {
      const roles = Array.isArray(row.roles) ? row.roles : row.roles.replace(/[{}]/g, '').split(',');
      expect({ policy: row.policyname, roles }).toEqual({ policy: row.policyname, roles: ['authenticated'] });
    }
    // auth.uid() is never called per row: only inside (select ...) in a helper or a policy.
    const quals = await database.db.execute<{ policyname: string; expr: string }>(sql`
      select policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr from pg_policies`);
    for (const q of quals) {
      const unwrapped = q.expr.replace(/\(\s*SELECT auth\.uid\(\) AS uid\)/gi, '');
      expect({ policy: q.policyname, callsAuthUidPerRow: /auth\.uid\(\)/.test(unwrapped) }).toEqual({
        policy: q.policyname,
        callsAuthUidPerRow: false,
      });
    }
    const helpers = await database.db.execute<{
      proname: string;
      body: string;
      secdef: boolean;
      config: string[] | null;
    }>(sql`
      select p.proname, p.prosrc as body, p.prosecdef as secdef, p.proconfig as config
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'app_private' and p.proname like 'user_%organization_ids'`);
    expect(helpers).toHaveLength(2);
    for (const h of helpers) {
      expect(h.body).toMatch(/\(\s*select auth\.uid\(\)\s*\)/i);
      expect(h.secdef).toBe(true);
      expect(h.config).toEqual(['search_path=""']);
    }
  });

  it('FIX 6: anon has no privilege on any table', async () => {
    const rows = await database.db.execute<{ table: string; privilege: string }>(sql`
      select n.nspname || '.' || c.relname as table, p.privilege
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      cross join unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) as p(privilege)
      where c.relkind in ('r', 'v', 'm', 'p')
        and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        and has_table_privilege('anon', c.oid, p.privilege)`);
    expect(rows.map((r) => `${r.table}: ${r.privilege}`)).toEqual([]);
  });

  it('signed-in users have no privilege on auth.users, sessions or the migration log', async () => {
    const rows = await database.db.execute<{ table: string; privilege: string }>(sql`
      select n.nspname || '.' || c.relname as table, p.privilege
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      cross join unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) as p(privilege)
      where c.relkind in ('r', 'v', 'm', 'p')
        and n.nspname in ('auth', 'app_private')
        and has_table_privilege('authenticated', c.oid, p.privilege)`);
    expect(rows.map((r) => `${r.table}: ${r.privilege}`)).toEqual([]);
  });

  it('FIX 6: anon cannot reach the private schema at all', async () => {
    const [row] = await database.db.execute<{ usage: boolean }>(sql`
      select has_schema_privilege('anon', 'app_private', 'USAGE') as usage`);
    expect(row?.usage).toBe(false);
  });

  describe('FIX 2: webhook events are idempotent per (connection, idempotency key)', () => {
    let world: World;
    beforeAll(async () => {
      world = await seedWorld(database.db);
    });

    /** What the webhook route does: insert the event, or nothing if it is a repeat. Returns rows inserted. */
    async function recordEvent(connectionId: string, messageSid: string, status: string | null) {
      const eventType = status === null ? 'message' : 'status';
      const key = status === null ? `message:${messageSid}` : `status:${messageSid}:${status}`;
      return withServiceRole(database.db, async (tx) => {
        const inserted = await tx.execute(sql`
          insert into twilio_whatsapp_webhook_events
            (connection_id, message_sid, event_type, message_status, idempotency_key, payload)
          values (${connectionId}, ${messageSid}, ${eventType}, ${status}, ${key},
                  ${JSON.stringify({ MessageSid: messageSid, MessageStatus: status ?? 'received' })}::jsonb)
          on conflict on constraint twilio_whatsapp_webhook_events_idempotency_key do nothing
          returning id`);
        return inserted.length;
      });
    }

    async function eventsFor(messageSid: string) {
      const rows = await database.db.execute<{ idempotency_key: string }>(sql`
        select idempotency_key from twilio_whatsapp_webhook_events
        where message_sid = ${messageSid} order by idempotency_key`);
      return rows.map((r) => r.idempotency_key);
    }

    const newSid = () => `SM${randomBytes(16).toString('hex')}`;

    it('three different status callbacks for one MessageSid are three events', async () => {
      const sid = newSid();
      for (const status of ['sent', 'delivered', 'read']) {
        expect(await recordEvent(world.connA, sid, status)).toBe(1);
      }
      expect(await eventsFor(sid)).toEqual([
        `status:${sid}:delivered`,
        `status:${sid}:read`,
        `status:${sid}:sent`,
      ]);
    });

    it('a replayed status callback is stored once', async () => {
      const sid = newSid();
      expect(await recordEvent(world.connA, sid, 'delivered')).toBe(1);
      expect(await recordEvent(world.connA, sid, 'delivered')).toBe(0);
      expect(await eventsFor(sid)).toEqual([`status:${sid}:delivered`]);
    });

    it('a replayed inbound message is stored once', async () => {
      const sid = newSid();
      expect(await recordEvent(world.connA, sid, null)).toBe(1);
      expect(await recordEvent(world.connA, sid, null)).toBe(0);
      expect(await eventsFor(sid)).toEqual([`message:${sid}`]);
    });

    it('the same key on another connection is another event (one tenant cannot shadow another)', async () => {
      const sid = newSid();
      expect(await recordEvent(world.connA, sid, null)).toBe(1);
      expect(await recordEvent(world.connB, sid, null)).toBe(1);
      expect(await eventsFor(sid)).toHaveLength(2);
    });

    it('a new event is pending, has no attempts yet and is due now', async () => {
      const sid = newSid();
      await recordEvent(world.connA, sid, 'sent');
      const [row] = await database.db.execute<{ status: string; attempts: number; due: boolean }>(sql`
        select status, attempts, next_attempt_at <= now() as due
        from twilio_whatsapp_webhook_events where message_sid = ${sid}`);
      expect(row).toEqual({ status: 'pending', attempts: 0, due: true });
    });
  });
});
