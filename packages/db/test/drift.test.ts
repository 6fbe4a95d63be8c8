import { sql, TransactionRollbackError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as schema from '../src/schema.ts';
import { useTestDatabase } from '../src/vitest.ts';
import {
  type ColumnShape,
  compareShapes,
  databaseShape,
  drizzleShape,
  normaliseDefault,
  type SchemaShape,
} from './support/drift.ts';

// Drizzle's schema (packages/db/src/schema.ts) must describe the migrated database
// exactly: the server's queries are typed from it.

const SCHEMAS = ['public', 'auth', 'app_private'];
const options = { completeSchemas: ['public'] };

function clone(shape: SchemaShape): SchemaShape {
  return new Map(
    [...shape].map(([table, columns]) => [table, new Map([...columns].map(([n, c]) => [n, { ...c }]))]),
  );
}

function alter(shape: SchemaShape, table: string, column: string, change: Partial<ColumnShape>): SchemaShape {
  const copy = clone(shape);
  const current = copy.get(table)?.get(column);
  if (!current) throw new Error(`no ${table}.${column} in the shape`);
  copy.get(table)?.set(column, { ...current, ...change });
  return copy;
}

describe('Drizzle schema and migrated database', () => {
  const database = useTestDatabase();
  const drizzle = drizzleShape(schema);

  it('Drizzle describes every table the server uses', () => {
    expect([...drizzle.keys()].sort()).toEqual([
      'app_private.schema_migrations',
      'app_private.sessions',
      'auth.users',
      'public.organizations',
      'public.profiles',
      'public.twilio_whatsapp_connect_progress',
      'public.twilio_whatsapp_connections',
      'public.twilio_whatsapp_delivery_counts',
      'public.twilio_whatsapp_messages',
      'public.twilio_whatsapp_refused_deliveries',
      'public.twilio_whatsapp_webhook_events',
    ]);
  });

  it('agree on tables, columns, types, nullability and defaults', async () => {
    const actual = await databaseShape(database.db, SCHEMAS);
    expect(compareShapes(drizzle, actual, options)).toEqual([]);
  });

  describe('the comparator', () => {
    it('reports a column whose type differs', async () => {
      const actual = await databaseShape(database.db, SCHEMAS);
      const altered = alter(drizzle, 'public.twilio_whatsapp_webhook_events', 'attempts', { type: 'bigint' });
      expect(compareShapes(altered, actual, options)).toEqual([
        'public.twilio_whatsapp_webhook_events.attempts: type bigint in Drizzle, integer in the database',
      ]);
    });

    it('reports a column whose nullability differs', async () => {
      const actual = await databaseShape(database.db, SCHEMAS);
      const altered = alter(drizzle, 'public.twilio_whatsapp_connections', 'friendly_name', {
        notNull: true,
      });
      expect(compareShapes(altered, actual, options)).toEqual([
        'public.twilio_whatsapp_connections.friendly_name: not null in Drizzle, nullable in the database',
      ]);
    });

    it('reports a column whose default differs', async () => {
      const actual = await databaseShape(database.db, SCHEMAS);
      const altered = alter(drizzle, 'public.twilio_whatsapp_connections', 'is_active', { default: 'false' });
      expect(compareShapes(altered, actual, options)).toEqual([
        'public.twilio_whatsapp_connections.is_active: default false in Drizzle, true in the database',
      ]);
    });

    it('reports a column Drizzle lacks and one the database lacks', async () => {
      const actual = await databaseShape(database.db, SCHEMAS);
      const altered = clone(drizzle);
      const columns = altered.get('auth.users');
      const email = columns?.get('email');
      if (!columns || !email) throw new Error('auth.users.email missing from Drizzle');
      columns.delete('email');
      columns.set('e_mail', email);
      expect(compareShapes(altered, actual, options).sort()).toEqual([
        'auth.users.e_mail: in Drizzle, missing from the database',
        'auth.users.email: in the database, missing from Drizzle',
      ]);
    });

    it('reports a table in public that Drizzle lacks', async () => {
      // Created and read in one rolled-back transaction, so other tests never see it.
      let actual: SchemaShape = new Map();
      await database.db
        .transaction(async (tx) => {
          await tx.execute(sql`create table public.forgotten (id uuid primary key)`);
          actual = await databaseShape(tx, SCHEMAS);
          tx.rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof TransactionRollbackError)) throw error;
        });
      expect(compareShapes(drizzle, actual, options)).toEqual([
        'public.forgotten: in the database, missing from Drizzle',
      ]);
    });

    it('normalises the casts and spellings PostgreSQL adds to defaults', () => {
      expect(normaliseDefault("'member'::text")).toBe("'member'");
      expect(normaliseDefault("'[]'::jsonb")).toBe("'[]'");
      expect(normaliseDefault('NOW()')).toBe('now()');
      expect(normaliseDefault(null)).toBeNull();
    });
  });
});
