import { env } from '@app/config';
import { applyMigrations } from '@app/db/migrate';
import { resolveDatabaseUrl } from '../database.ts';

// `pnpm migration:apply`: pending migrations to DATABASE_URL, or to the embedded PostgreSQL.
const log = (m: string) => process.stdout.write(`${m}\n`);
const pg = await resolveDatabaseUrl(env(), log);
try {
  const result = await applyMigrations(pg.url, { log });
  log(
    result.applied.length === 0
      ? `nothing to apply (${result.skipped.length} migrations already applied)`
      : `applied ${result.applied.length} migration(s), ${result.skipped.length} already applied`,
  );
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await pg.stopEmbedded();
}
