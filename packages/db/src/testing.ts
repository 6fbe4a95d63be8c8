import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from './embedded.ts';
import { applyMigrations } from './migrate.ts';

// Test databases on a real PostgreSQL: the embedded one (a throwaway cluster per
// test run) or DATABASE_URL's server. Migrations are applied once to a template;
// each test file gets its own database cloned from it (CREATE DATABASE ... TEMPLATE),
// so files are isolated and run in parallel.

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The throwaway test cluster is deleted at the end of the run, so flushing to disk
 * buys nothing; on a busy machine the fsyncs of CREATE DATABASE and every commit
 * were most of the suite's time. (The application's embedded cluster keeps them.)
 */
async function skipDurability(url: string) {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // One statement each: ALTER SYSTEM cannot run inside a (multi-statement) transaction.
    await admin.unsafe('alter system set fsync = off');
    await admin.unsafe('alter system set synchronous_commit = off');
    await admin.unsafe('alter system set full_page_writes = off');
    await admin.unsafe('select pg_reload_conf()');
  } finally {
    await admin.end();
  }
}

export interface TestCluster {
  /** URL of a maintenance database on the cluster (CREATEDB rights). */
  adminUrl: string;
  /** Name of the migrated template database. */
  template: string;
  stop: () => Promise<void>;
}

/** Starts (or reuses, with `databaseUrl`) a cluster and migrates a fresh template database. */
export async function startTestCluster(databaseUrl?: string): Promise<TestCluster> {
  let adminUrl = databaseUrl;
  let stopCluster = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'app-test-pg-'));
    const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
    adminUrl = pg.url;
    stopCluster = pg.stop;
    await skipDurability(adminUrl);
  }
  const template = `app_test_template_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${template}`);
  } finally {
    await admin.end();
  }
  await applyMigrations(withDatabase(adminUrl, template));
  const url = adminUrl;
  return {
    adminUrl: url,
    template,
    stop: async () => {
      const a = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${template} with (force)`);
      } finally {
        await a.end();
      }
      await stopCluster();
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** A new database cloned from the cluster's migrated template. */
export async function createTestDatabase(
  cluster: Pick<TestCluster, 'adminUrl' | 'template'>,
): Promise<TestDatabase> {
  const name = `app_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(cluster.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${cluster.template}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(cluster.adminUrl, name),
    drop: async () => {
      const a = postgres(cluster.adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
