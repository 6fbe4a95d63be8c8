// `pnpm bench`: the webhook intake under load, beside the comparators measured in
// the same run with the same load generator (../shared/bench, copied and installed
// into .bench/ once). Everything runs on loopback and stops by itself.
//
//   product     this server (`src/main.ts`, a separate process) on embedded PostgreSQL
//   comparator  Express + twilio.webhook() + one INSERT per request (express-baseline.mjs)
//   null        reads the body and answers: the load generator's ceiling (null-server.mjs)
//
// Load: drive.mjs (autocannon, 64 connections, 10 s): distinct MessageSids, then one
// repeated MessageSid (DUP=1). Then the product alone at a steady ~1,000 deliveries/s
// (drive-steady.mjs) for the intake-to-processed lag, read from the database.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childProcessEnv, env, repoRoot } from '@app/config';
import { startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import postgres from 'postgres';
import { CredentialVault } from '../src/vault/credential-vault.ts';

// Settings (documented in packages/config/src/env.ts): BENCH_SECONDS, BENCH_CONNECTIONS,
// BENCH_STEADY_RATE, BENCH_ONLY=product|comparator|null (e.g. product alone, for
// profiling with BENCH_CPU_PROF=1).
const settings = env();
const SECONDS = settings.BENCH_SECONDS;
const CONNECTIONS = settings.BENCH_CONNECTIONS;
const STEADY_RATE = settings.BENCH_STEADY_RATE;
const ONLY = settings.BENCH_ONLY === 'null' ? 'null server' : settings.BENCH_ONLY;
const serverDir = path.resolve(import.meta.dirname, '..');
const benchDir = path.join(serverDir, '.bench');
const comparatorsSource = path.resolve(repoRoot, '../shared/bench');
const comparatorsDir = path.join(benchDir, 'comparators');
const KEYS = `bench:${Buffer.alloc(32, 9).toString('base64')}`;
const AUTH_TOKEN = 'b'.repeat(32);

interface DriveResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const children = new Set<ChildProcess>();
let stopping = false;
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

/** Copies the comparators next to us and installs their dependencies once (cached by lockfile hash). */
function prepareComparators() {
  if (!existsSync(comparatorsSource)) {
    throw new Error(
      `The comparators are expected in ${comparatorsSource} (the shared folder beside the repo).`,
    );
  }
  mkdirSync(comparatorsDir, { recursive: true });
  writeFileSync(path.join(benchDir, '.gitignore'), '*\n');
  for (const f of [
    'package.json',
    'package-lock.json',
    'drive.mjs',
    'express-baseline.mjs',
    'null-server.mjs',
  ]) {
    copyFileSync(path.join(comparatorsSource, f), path.join(comparatorsDir, f));
  }
  copyFileSync(
    path.join(import.meta.dirname, 'drive-steady.mjs'),
    path.join(comparatorsDir, 'drive-steady.mjs'),
  );
  const lockHash = createHash('sha256')
    .update(readFileSync(path.join(comparatorsDir, 'package-lock.json')))
    .digest('hex');
  const stamp = path.join(comparatorsDir, '.installed');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
    log('installing the comparators (npm ci, once)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: comparatorsDir,
      stdio: 'inherit',
    });
    writeFileSync(stamp, lockHash);
  }
}

/** A Node child with only the basics of our environment (PATH, HOME, …) plus `childEnv`. */
function start(name: string, args: string[], cwd: string, childEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: childProcessEnv(childEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let errors = '';
  child.stderr?.on('data', (d) => {
    errors = (errors + d.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (code && !signal && !stopping) log(`${name} exited with ${code}: ${errors}`);
  });
  return child;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited`);
    try {
      await fetch(url, { method: 'GET' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** Runs a load script to its end; its last stdout line is its JSON result. */
function runScript(
  script: string,
  args: string[],
  childEnv: Record<string, string>,
): Promise<DriveResult & { prefix?: string }> {
  return new Promise((resolve, reject) => {
    const child = start(script, [script, ...args], comparatorsDir, childEnv);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${script} failed (${code}): ${out}`));
      }
    });
  });
}

// drive.mjs is the shared comparators' script: it takes its settings from its environment.
const drive = (url: string, token: string, dup: boolean) =>
  runScript('drive.mjs', [], {
    URL: url,
    TOKEN: token,
    SECONDS: String(SECONDS),
    CONNECTIONS: String(CONNECTIONS),
    ...(dup ? { DUP: '1' } : {}),
  });

async function main() {
  prepareComparators();

  const pgPort = await freePort();
  const pgDir = path.join(benchDir, `pg-${process.pid}`);
  log(`starting embedded PostgreSQL on 127.0.0.1:${pgPort}`);
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, persistent: false });
  try {
    const productDb = pg.url.replace(/\/postgres$/, '/product');
    const comparatorDb = pg.url.replace(/\/postgres$/, '/comparator');
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe('create database product');
    await admin.unsafe('create database comparator');
    await admin.end();
    await applyMigrations(productDb);

    // A seeded organization and connection with a known token, stored as the connect flow stores it.
    const sql = postgres(productDb, { max: 2, onnotice: () => {} });
    const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('Bench') returning id`;
    const connectionId = crypto.randomUUID();
    const accountSid = `AC${randomBytes(16).toString('hex')}`;
    const envelope = new CredentialVault(KEYS).encrypt(AUTH_TOKEN, { rowId: connectionId, accountSid });
    await sql`
      insert into twilio_whatsapp_connections (id, organization_id, twilio_account_sid, twilio_auth_token_hash, whatsapp_number)
      values (${connectionId}, ${org!.id}, ${accountSid}, ${envelope}, '+14155238886')`;

    const productPort = await freePort();
    const comparatorPort = await freePort();
    const nullPort = await freePort();
    const productBase = `http://127.0.0.1:${productPort}`;
    const comparatorBase = `http://127.0.0.1:${comparatorPort}`;
    const nullBase = `http://127.0.0.1:${nullPort}`;
    const webhookPath = `/webhooks/twilio/whatsapp/${connectionId}`;

    const profile = settings.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(benchDir, 'prof')}`]
      : [];
    const product = start('product', [...profile, '--import', 'tsx', 'src/main.ts'], serverDir, {
      DATABASE_URL: productDb,
      PORT: String(productPort),
      HOST: '127.0.0.1',
      PUBLIC_URL: productBase,
      CREDENTIALS_ENCRYPTION_KEYS: KEYS,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      DATA_DIR: path.join(benchDir, 'data'),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    });
    const comparator = start('comparator', ['express-baseline.mjs'], comparatorsDir, {
      DATABASE_URL: comparatorDb,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      PUBLIC_URL: comparatorBase,
      PORT: String(comparatorPort),
    });
    const nullServer = start('null', ['null-server.mjs'], comparatorsDir, { PORT: String(nullPort) });
    await waitForHttp(`${productBase}/healthz`, product);
    await waitForHttp(comparatorBase, comparator);
    await waitForHttp(nullBase, nullServer);

    const results: Array<{ target: string; load: string; r: DriveResult; stored?: number }> = [];
    // The product's burst of distinct deliveries: how long the worker took to apply them.
    let burstLag: Lag | undefined;
    for (const [target, base] of [
      ['product', productBase],
      ['comparator', comparatorBase],
      ['null server', nullBase],
    ] as const) {
      if (ONLY && ONLY !== target) continue;
      for (const dup of [false, true]) {
        log(
          `${target}: ${dup ? 'one repeated MessageSid' : 'distinct MessageSids'}, ${CONNECTIONS} connections, ${SECONDS} s`,
        );
        const before =
          target === 'product'
            ? (await sql<{ n: number }[]>`select count(*)::int as n from twilio_whatsapp_webhook_events`)[0]!
                .n
            : 0;
        const since = (await sql<{ since: string }[]>`select now()::text as since`)[0]!.since;
        const r = await drive(`${base}${webhookPath}`, AUTH_TOKEN, dup);
        if (target === 'product' && !dup) {
          await waitForDrained(sql);
          burstLag = await lagOf(sql, sql`created_at >= ${since}::timestamptz`);
        }
        const stored =
          target === 'product'
            ? (await sql<{ n: number }[]>`select count(*)::int as n from twilio_whatsapp_webhook_events`)[0]!
                .n - before
            : undefined;
        results.push({
          target,
          load: dup ? 'repeated' : 'distinct',
          r,
          ...(stored === undefined ? {} : { stored }),
        });
      }
    }

    // Lag: the product alone at a steady rate; the worker applies while the intake takes.
    await waitForDrained(sql);
    log(`product: steady ${STEADY_RATE}/s for ${SECONDS} s (processing lag)`);
    const steady = await runScript(
      'drive-steady.mjs',
      [
        JSON.stringify({
          url: `${productBase}${webhookPath}`,
          token: AUTH_TOKEN,
          rate: STEADY_RATE,
          seconds: SECONDS,
          connections: CONNECTIONS,
        }),
      ],
      {},
    );
    await waitForDrained(sql);
    const lag = await lagOf(sql, sql`message_sid like ${`SM${steady.prefix}%`}`);
    await sql.end();

    printTable(results, steady, lag, burstLag);
  } finally {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const child of children) child.kill('SIGKILL');
    await pg.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

interface Lag {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Intake-to-processed lag (processed_at - created_at) of the events `where` picks, in ms. */
async function lagOf(sql: postgres.Sql, where: postgres.PendingQuery<postgres.Row[]>): Promise<Lag> {
  const [lag] = await sql<Lag[]>`
    select count(*)::int as n,
           (percentile_cont(0.5) within group (order by extract(epoch from processed_at - created_at)) * 1000)::float8 as p50,
           (percentile_cont(0.99) within group (order by extract(epoch from processed_at - created_at)) * 1000)::float8 as p99,
           (max(extract(epoch from processed_at - created_at)) * 1000)::float8 as max
    from twilio_whatsapp_webhook_events where ${where}`;
  return lag!;
}

async function waitForDrained(sql: postgres.Sql, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from twilio_whatsapp_webhook_events where status = 'pending'`;
    if (row!.n === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the worker did not drain the pending events');
}

function printTable(
  results: Array<{ target: string; load: string; r: DriveResult; stored?: number }>,
  steady: DriveResult,
  lag: Lag,
  burstLag: Lag | undefined,
) {
  const fmt = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const comparatorRps = (load: string) =>
    results.find((x) => x.target === 'comparator' && x.load === load)?.r.rps ?? 0;
  const rows = [
    [
      'target',
      'MessageSids',
      'deliveries/s',
      'p50 ms',
      'p99 ms',
      '2xx',
      'non-2xx',
      'errors',
      'stored',
      'vs comparator',
    ],
    ...results.map(({ target, load, r, stored }) => [
      target,
      load,
      fmt(r.rps),
      fmt(r.p50_ms),
      fmt(r.p99_ms),
      fmt(r.ok),
      fmt(r.non2xx),
      fmt(r.errors + r.timeouts),
      stored === undefined ? '' : fmt(stored),
      `${fmt(r.rps / comparatorRps(load), 2)}x`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    '',
    `Webhook intake, ${CONNECTIONS} connections, ${SECONDS} s per row, ${os.cpus().length} CPUs, Node ${process.versions.node}`,
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    `Processing lag at a steady ${fmt(steady.rps)} deliveries/s (target ${STEADY_RATE}/s; intake p50 ${fmt(steady.p50_ms)} ms, p99 ${fmt(steady.p99_ms)} ms, non-2xx ${steady.non2xx}):`,
    `  intake -> processed (processed_at - created_at) over ${fmt(lag.n)} events: p50 ${fmt(lag.p50, 1)} ms, p99 ${fmt(lag.p99, 1)} ms, max ${fmt(lag.max, 1)} ms`,
    ...(burstLag
      ? [
          `During the product's distinct burst (${CONNECTIONS} connections, as fast as answered), the same lag over ${fmt(burstLag.n)} events:`,
          `  p50 ${fmt(burstLag.p50, 1)} ms, p99 ${fmt(burstLag.p99, 1)} ms, max ${fmt(burstLag.max, 1)} ms`,
        ]
      : []),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

await main();
process.exit(0);
