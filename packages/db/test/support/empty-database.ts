import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';

/** A new, empty database (no migrations) on the test cluster; `drop()` removes it. */
export async function createEmptyDatabase() {
  const { adminUrl } = inject('pgCluster');
  const name = `app_test_empty_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A temporary directory of migration files: `{ '001_a.sql': 'create table ...' }`. */
export async function migrationDir(files: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'app-migrations-'));
  await writeMigrations(dir, files);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeMigrations(dir: string, files: Record<string, string>) {
  await Promise.all(Object.entries(files).map(([name, content]) => writeFile(path.join(dir, name), content)));
}
