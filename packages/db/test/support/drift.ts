import { is, SQL, sql } from 'drizzle-orm';
import { getTableConfig, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import type { Database, Tx } from '../../src/client.ts';

// Compares the Drizzle schema with a migrated database's information_schema:
// tables, columns, types, nullability and defaults. Pure on both sides, so the
// comparator itself can be tested against a deliberately altered model.

export interface ColumnShape {
  type: string;
  notNull: boolean;
  /** Normalised default expression, or null for none. */
  default: string | null;
}

/** `schema.table` -> column name -> shape. */
export type SchemaShape = Map<string, Map<string, ColumnShape>>;

const TYPE_ALIASES: Record<string, string> = {
  timestamptz: 'timestamp with time zone',
  'timestamp with time zone': 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  'timestamp without time zone': 'timestamp without time zone',
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  int8: 'bigint',
  bigint: 'bigint',
  serial: 'integer',
  bigserial: 'bigint',
  float8: 'double precision',
  'double precision': 'double precision',
  bool: 'boolean',
  boolean: 'boolean',
  varchar: 'character varying',
  'character varying': 'character varying',
};

export function normaliseType(type: string): string {
  const t = type.trim().toLowerCase();
  return TYPE_ALIASES[t] ?? t;
}

/** `'member'::text` -> `'member'`, `NOW()` -> `now()`, `'[]'::jsonb` -> `'[]'`. */
export function normaliseDefault(expression: string | null): string | null {
  if (expression === null) return null;
  let e = expression.trim();
  // Strip trailing casts PostgreSQL adds (and the ones we write): ::text, ::jsonb, ::character varying.
  let previous: string;
  do {
    previous = e;
    e = e.replace(/::[a-z_ ]+(\[\])?$/i, '').trim();
    if (/^\(.*\)$/.test(e)) e = e.slice(1, -1).trim();
  } while (e !== previous);
  return /^'/.test(e) ? e : e.toLowerCase();
}

const dialect = new PgDialect();

function drizzleDefault(value: unknown): string | null {
  if (value === undefined) return null;
  if (is(value, SQL)) return normaliseDefault(dialect.sqlToQuery(value).sql);
  if (typeof value === 'string') return normaliseDefault(`'${value.replaceAll("'", "''")}'`);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return normaliseDefault(String(value));
  }
  return normaliseDefault(`'${JSON.stringify(value)}'`);
}

/** Every PgTable exported by a module (e.g. `import * as schema`), as a shape. */
export function drizzleShape(module: Record<string, unknown>): SchemaShape {
  const shape: SchemaShape = new Map();
  for (const value of Object.values(module)) {
    if (!is(value, PgTable)) continue;
    const config = getTableConfig(value);
    const columns = new Map<string, ColumnShape>();
    for (const column of config.columns) {
      columns.set(column.name, {
        type: normaliseType(column.getSQLType()),
        notNull: column.notNull,
        default: column.hasDefault ? drizzleDefault(column.default) : null,
      });
    }
    shape.set(`${config.schema ?? 'public'}.${config.name}`, columns);
  }
  return shape;
}

/** The columns of every base table in `schemas`, read from information_schema. */
export async function databaseShape(db: Database | Tx, schemas: string[]): Promise<SchemaShape> {
  const rows = await db.execute<{
    table_schema: string;
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: 'YES' | 'NO';
    column_default: string | null;
  }>(sql`
    select c.table_schema, c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
    from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where t.table_type = 'BASE TABLE'
      and c.table_schema in ${sql.raw(`(${schemas.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')})`)}
    order by c.table_schema, c.table_name, c.ordinal_position`);
  const shape: SchemaShape = new Map();
  for (const row of rows) {
    const key = `${row.table_schema}.${row.table_name}`;
    const columns = shape.get(key) ?? new Map<string, ColumnShape>();
    columns.set(row.column_name, {
      type: normaliseType(row.data_type),
      notNull: row.is_nullable === 'NO',
      default: normaliseDefault(row.column_default),
    });
    shape.set(key, columns);
  }
  return shape;
}

export interface CompareOptions {
  /** Schemas where every database table must be in Drizzle too (others: only Drizzle's tables are checked). */
  completeSchemas: string[];
}

/** Human-readable differences; empty when Drizzle and the database agree. */
export function compareShapes(
  drizzle: SchemaShape,
  database: SchemaShape,
  options: CompareOptions,
): string[] {
  const problems: string[] = [];
  for (const [table, columns] of drizzle) {
    const actual = database.get(table);
    if (!actual) {
      problems.push(`${table}: in Drizzle, missing from the database`);
      continue;
    }
    for (const [name, want] of columns) {
      const got = actual.get(name);
      if (!got) {
        problems.push(`${table}.${name}: in Drizzle, missing from the database`);
        continue;
      }
      if (want.type !== got.type)
        problems.push(`${table}.${name}: type ${want.type} in Drizzle, ${got.type} in the database`);
      if (want.notNull !== got.notNull) {
        problems.push(
          `${table}.${name}: ${want.notNull ? 'not null' : 'nullable'} in Drizzle, ${got.notNull ? 'not null' : 'nullable'} in the database`,
        );
      }
      if (want.default !== got.default) {
        problems.push(
          `${table}.${name}: default ${want.default ?? 'none'} in Drizzle, ${got.default ?? 'none'} in the database`,
        );
      }
    }
    for (const name of actual.keys()) {
      if (!columns.has(name)) problems.push(`${table}.${name}: in the database, missing from Drizzle`);
    }
  }
  for (const table of database.keys()) {
    const schema = table.split('.')[0] ?? '';
    if (options.completeSchemas.includes(schema) && !drizzle.has(table)) {
      problems.push(`${table}: in the database, missing from Drizzle`);
    }
  }
  return problems;
}
