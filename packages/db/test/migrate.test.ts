import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../src/migrate.ts';
import { useTestDatabase } from '../src/vitest.ts';

describe('migrations', () => {
  const database = useTestDatabase();

  it('a second run on a migrated database changes nothing', async () => {
    const result = await applyMigrations(database.url);
    expect(result.applied).toEqual([]);
    expect(result.skipped.length).toBeGreaterThanOrEqual(3);
  });
});
