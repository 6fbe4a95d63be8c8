import { readdir } from 'node:fs/promises';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, MigrationEditedError, migrationsDir } from '../src/migrate.ts';
import { createEmptyDatabase, migrationDir, writeMigrations } from './support/empty-database.ts';

// The migration runner (pnpm migration:apply): in order, once, atomically per file,
// safe when several processes start at the same time.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function freshDatabase() {
  const database = await createEmptyDatabase();
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  cleanups.push(async () => {
    await sql.end();
    await database.drop();
  });
  return { url: database.url, sql };
}

async function migrations(files: Record<string, string>) {
  const dir = await migrationDir(files);
  cleanups.push(dir.remove);
  return dir.dir;
}

async function recorded(sql: postgres.Sql) {
  const rows = await sql<
    { filename: string }[]
  >`select filename from app_private.schema_migrations order by filename`;
  return rows.map((r) => r.filename);
}

async function tableExists(sql: postgres.Sql, name: string) {
  const [row] = await sql<{ exists: boolean }[]>`select to_regclass(${name}) is not null as exists`;
  return row?.exists;
}

describe('applyMigrations', () => {
  it('applies every migration of the repository to a fresh database, and a second run changes nothing', async () => {
    const { url, sql } = await freshDatabase();
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);

    const first = await applyMigrations(url);
    expect(first).toEqual({ applied: files, skipped: [] });
    expect(await recorded(sql)).toEqual(files);
    const before =
      await sql`select filename, checksum, applied_at from app_private.schema_migrations order by filename`;

    const second = await applyMigrations(url);
    expect(second).toEqual({ applied: [], skipped: files });
    expect(
      await sql`select filename, checksum, applied_at from app_private.schema_migrations order by filename`,
    ).toEqual(before);
  });

  it('applies files in filename order', async () => {
    const { url, sql } = await freshDatabase();
    const dir = await migrations({
      '002_child.sql': 'create table child (parent_id int references parent (id));',
      '001_parent.sql': 'create table parent (id int primary key);',
    });
    expect(await applyMigrations(url, { dir })).toEqual({
      applied: ['001_parent.sql', '002_child.sql'],
      skipped: [],
    });
    expect(await tableExists(sql, 'child')).toBe(true);
  });

  it('refuses an edited applied migration with MigrationEditedError and applies nothing', async () => {
    const { url, sql } = await freshDatabase();
    const dir = await migrations({ '001_a.sql': 'create table a (id int);' });
    await applyMigrations(url, { dir });

    await writeMigrations(dir, {
      '001_a.sql': 'create table a (id bigint);',
      '002_b.sql': 'create table b (id int);',
    });
    const run = applyMigrations(url, { dir });
    await expect(run).rejects.toBeInstanceOf(MigrationEditedError);
    await expect(run).rejects.toMatchObject({ filename: '001_a.sql' });
    expect(await recorded(sql)).toEqual(['001_a.sql']);
    expect(await tableExists(sql, 'b')).toBe(false);
  });

  it('rolls back a failing migration entirely and does not record it', async () => {
    const { url, sql } = await freshDatabase();
    const dir = await migrations({
      '001_ok.sql': 'create table ok (id int);',
      '002_broken.sql': 'create table half_done (id int);\ninsert into half_done values (1);\nselect 1 / 0;',
      '003_after.sql': 'create table after_broken (id int);',
    });
    await expect(applyMigrations(url, { dir })).rejects.toMatchObject({ code: '22012' }); // division_by_zero
    expect(await recorded(sql)).toEqual(['001_ok.sql']);
    expect(await tableExists(sql, 'ok')).toBe(true);
    expect(await tableExists(sql, 'half_done')).toBe(false);
    expect(await tableExists(sql, 'after_broken')).toBe(false);

    // Once fixed, the same file applies on the next run.
    await writeMigrations(dir, { '002_broken.sql': 'create table half_done (id int);' });
    expect(await applyMigrations(url, { dir })).toEqual({
      applied: ['002_broken.sql', '003_after.sql'],
      skipped: ['001_ok.sql'],
    });
  });

  it('two runs started at once on a fresh database both succeed and apply each file exactly once, leaving nothing to do', async () => {
    const { url, sql } = await freshDatabase();
    // Not idempotent on purpose: applying a file twice would fail on "already exists",
    // and the sleep keeps the first run inside its lock while the second one arrives.
    const dir = await migrations({
      '001_slow.sql': 'create table first_table (id int);\nselect pg_sleep(0.3);',
      '002_second.sql': 'create table second_table (id int);',
      '003_third.sql': 'create table third_table (id int);',
    });
    const [a, b] = await Promise.all([applyMigrations(url, { dir }), applyMigrations(url, { dir })]);
    const files = ['001_slow.sql', '002_second.sql', '003_third.sql'];
    expect([...a.applied, ...b.applied].sort()).toEqual(files);
    expect([...a.skipped, ...b.skipped].sort()).toEqual(files);
    expect(await recorded(sql)).toEqual(files);
    expect(await applyMigrations(url, { dir })).toEqual({ applied: [], skipped: files });
  });
});
