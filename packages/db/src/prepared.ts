import { fillPlaceholders, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';

/** A pool or a transaction (or savepoint) of one: whatever a statement runs on. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

const dialect = new PgDialect();

/** A column's bare name, where PostgreSQL wants no table prefix (insert lists, SET, ON CONFLICT). */
export function bare(column: { name: string }): ReturnType<typeof sql.identifier> {
  return sql.identifier(column.name);
}

/**
 * A hot-path statement written with Drizzle's `sql` (tables and columns referenced
 * from the schema, values as `sql.placeholder`). Its text is built once, here;
 * each run only fills the values and goes out as a named prepared statement on
 * the pool's connection (parsed and planned once per connection, as postgres.js
 * does for its own tagged templates), so the hot path pays no query building.
 */
export function preparedStatement<Values extends Record<string, unknown>, Row extends object>(query: SQL) {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (on: Queryable, values: Values): Promise<postgres.RowList<Row[]>> =>
    on.unsafe<Row[]>(text, fillPlaceholders(params, values) as postgres.ParameterOrJSON<never>[], {
      prepare: true,
    });
}
