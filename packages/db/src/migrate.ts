import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';

export const migrationsDir = path.resolve(import.meta.dirname, '../../../migrations');

/** Any 64-bit constant; shared by every process applying migrations to one database. */
const MIGRATION_LOCK_KEY = 7_340_112_021_260_203n;

export class MigrationEditedError extends Error {
  constructor(readonly filename: string) {
    super(
      `Migration ${filename} was edited after it was applied. Applied migrations are immutable: ` +
        'restore the file and add a new migration for the change.',
    );
    this.name = 'MigrationEditedError';
  }
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export interface MigrateOptions {
  dir?: string;
  log?: (line: string) => void;
}

async function readMigrations(dir: string) {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (filename) => {
      const content = await readFile(path.join(dir, filename), 'utf8');
      return { filename, content, checksum: createHash('sha256').update(content).digest('hex') };
    }),
  );
}

/**
 * Applies pending migrations in filename order, each in its own transaction, and
 * records them. A session advisory lock makes concurrent runs wait for each other;
 * an applied file whose checksum changed stops the run before anything is applied.
 */
export async function applyMigrations(url: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  const log = options.log ?? (() => {});
  const files = await readMigrations(options.dir ?? migrationsDir);
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    await sql.unsafe(`
      create schema if not exists app_private;
      create table if not exists app_private.schema_migrations (
        filename text primary key,
        checksum text not null,
        applied_at timestamptz not null default now(),
        duration_ms bigint not null
      );`);
    const rows = await sql<{ filename: string; checksum: string }[]>`
      select filename, checksum from app_private.schema_migrations`;
    const applied = new Map(rows.map((r) => [r.filename, r.checksum]));
    for (const file of files) {
      const known = applied.get(file.filename);
      if (known !== undefined && known !== file.checksum) throw new MigrationEditedError(file.filename);
    }
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const file of files) {
      if (applied.has(file.filename)) {
        result.skipped.push(file.filename);
        continue;
      }
      const started = performance.now();
      await sql.begin(async (tx) => {
        await tx.unsafe(file.content);
        await tx`insert into app_private.schema_migrations (filename, checksum, duration_ms)
                 values (${file.filename}, ${file.checksum}, ${Math.round(performance.now() - started)})`;
      });
      result.applied.push(file.filename);
      log(`applied ${file.filename} (${Math.round(performance.now() - started)} ms)`);
    }
    return result;
  } finally {
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
