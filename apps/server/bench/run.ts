// `pnpm bench`: the webhook intake under load, beside the comparators measured in
// the same run with the same load generator (../shared/bench, copied and installed
// into .bench/ once). Everything runs on loopback and stops by itself.
//
//   product     this server (`src/main.ts`, separate processes) on embedded PostgreSQL
//   comparator  Express + twilio.webhook() + one INSERT per request (express-baseline.mjs)
//   null        reads the body and answers: the load generator's ceiling (null-server.mjs)
//   floor       reads the body and answers after a group commit of its MessageSid, nothing
//               else: the cheapest durable answer on this machine (bench/floor-server.mjs)
//
// Closed loop: drive.mjs (autocannon, 64 connections, 10 s): distinct MessageSids, then
// one repeated MessageSid (DUP=1). Open loop: drive-open.mjs sends at each fixed rate
// (1,000 and 1,600/s) whatever the answers and measures from each request's scheduled
// time. The product's processing lag is read from the database, its event-loop delay
// from its /metrics. Optionally a long open-loop run of the product alone (soak).
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
import { eventLoopDelayMs } from '../src/observability/metrics.ts';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  closedTable,
  type MemorySample,
  openTable,
  type ProcessMemory,
  type Row,
  type Soak,
  soakLines,
  type TableSize,
  type Target,
  writeJson,
} from './report.ts';
import { type RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.ts';

// Settings (documented in packages/config/src/env.ts and docs/benchmarks.md).
const settings = env();
const SECONDS = settings.BENCH_SECONDS;
const CONNECTIONS = settings.BENCH_CONNECTIONS;
const OPEN_RATES = settings.BENCH_OPEN_RATES;
const PROCESSES = settings.BENCH_PROCESSES;
const SOAK_SECONDS = settings.BENCH_SOAK_SECONDS;
const SOAK_RATE = 1000;
/** How often the soak reads every process's memory. */
const SOAK_SAMPLE_S = 30;
const targetNames = {
  product: 'product',
  comparator: 'comparator',
  null: 'null server',
  floor: 'commit floor',
} as const satisfies Record<string, Target>;
const ONLY: Target | undefined = settings.BENCH_ONLY && targetNames[settings.BENCH_ONLY];
const serverDir = path.resolve(import.meta.dirname, '..');
const benchDir = path.join(serverDir, '.bench');
const comparatorsSource = path.resolve(
  settings.BENCH_COMPARATORS_DIR ?? path.join(repoRoot, '../shared/bench'),
);
const comparatorsDir = path.join(benchDir, 'comparators');
const KEYS = `bench:${Buffer.alloc(32, 9).toString('base64')}`;
const AUTH_TOKEN = 'b'.repeat(32);
/** The tables whose growth the soak reports. */
const SOAK_TABLES = ['twilio_whatsapp_webhook_events', 'twilio_whatsapp_messages'];

/** drive.mjs's figures (closed loop). */
interface DriveResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** drive-open.mjs's figures (open loop); latencies from each request's scheduled time. */
interface OpenResult extends DriveResult {
  prefix: string;
  /** The MessageSid prefix of the warm-up's requests. */
  warmupPrefix: string;
  max_ms: number | null;
  late: number;
  send_delay_p99_ms: number | null;
  send_delay_max_ms: number | null;
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
  // Our own driver and commit floor run beside them, with their node_modules (twilio, postgres).
  for (const f of ['drive-open.mjs', 'floor-server.mjs']) {
    copyFileSync(path.join(import.meta.dirname, f), path.join(comparatorsDir, f));
  }
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
function runScript<T>(script: string, args: string[], childEnv: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = start(script, [script, ...args], comparatorsDir, childEnv);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${script} failed (${code}): ${out}`));
      }
    });
  });
}

// drive.mjs is the shared comparators' script: it takes its settings from its environment.
const drive = (url: string, connections: number, dup: boolean) =>
  runScript<DriveResult>('drive.mjs', [], {
    URL: url,
    TOKEN: AUTH_TOKEN,
    SECONDS: String(SECONDS),
    CONNECTIONS: String(connections),
    ...(dup ? { DUP: '1' } : {}),
  });

/**
 * Open loop: `url` is the public URL the requests are signed for, `sendTo` the servers
 * behind it. The schedule runs BENCH_WARMUP_SECONDS unmeasured first; for the product, the
 * driver scrapes their /metrics when the measured part begins, so the event-loop histogram
 * read right after covers it alone.
 */
const driveOpen = (url: string, sendTo: string[], rate: number, seconds: number, product: boolean) =>
  runScript<OpenResult>(
    'drive-open.mjs',
    [
      JSON.stringify({
        url,
        sendTo,
        token: AUTH_TOKEN,
        rate,
        seconds,
        warmupSeconds: settings.BENCH_WARMUP_SECONDS,
        sockets: settings.BENCH_OPEN_SOCKETS,
        scrapeFirst: product ? sendTo.map((base) => `${base}/metrics`) : [],
      }),
    ],
    {},
  );

/**
 * The series of a process's /metrics (Prometheus text) by name, the first of each name
 * (the ones read here have one series per process); empty if it does not answer.
 * Scraping also resets prom-client's event-loop histogram, which is why a row starts
 * with a scrape (the closed loop here, the open loop in drive-open.mjs).
 */
async function scrape(base: string): Promise<Map<string, number>> {
  const series = new Map<string, number>();
  try {
    const res = await fetch(`${base}/metrics`);
    if (!res.ok) return series;
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && !series.has(m[1]!)) series.set(m[1]!, Number(m[2]));
    }
  } catch {
    // No metrics: the figures read from them print as n/a.
  }
  return series;
}

/**
 * The worst event-loop delay p99 (ms) of the processes since their previous scrape;
 * null if not exposed. prom-client's series include the monitor's 10-ms sampling
 * interval (an idle process reads 10 ms): the delay is what lies beyond it.
 */
async function eventLoopP99(bases: string[]): Promise<number | null> {
  return worstEventLoopDelayMs(await Promise.all(bases.map(scrape)));
}

/** The worst event-loop delay p99 (ms, beyond the sampling interval) among scrapes; null if none has it. */
function worstEventLoopDelayMs(scrapes: Map<string, number>[]): number | null {
  const values = scrapes
    .map((s) => s.get('nodejs_eventloop_lag_p99_seconds'))
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length === 0 ? null : eventLoopDelayMs(Math.max(...values));
}

async function main() {
  prepareComparators();

  const pgPort = await freePort();
  const pgDir = path.join(benchDir, `pg-${process.pid}`);
  log(`starting embedded PostgreSQL on 127.0.0.1:${pgPort}`);
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, persistent: false });
  let proxy: RoundRobinProxy | undefined;
  try {
    const productDb = pg.url.replace(/\/postgres$/, '/product');
    const comparatorDb = pg.url.replace(/\/postgres$/, '/comparator');
    const floorDb = pg.url.replace(/\/postgres$/, '/floor');
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    // Every target that commits (product, comparator, floor) is measured durable: a 200
    // after a flushed commit. A cluster with either setting off would flatter them all.
    for (const setting of ['fsync', 'synchronous_commit']) {
      const [row] = await admin.unsafe(`show ${setting}`);
      if (row?.[setting] !== 'on')
        throw new Error(`The bench needs ${setting} = on; it is ${row?.[setting]}.`);
    }
    await admin.unsafe('create database product');
    await admin.unsafe('create database comparator');
    await admin.unsafe('create database floor');
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

    const webhookPath = `/webhooks/twilio/whatsapp/${connectionId}`;
    const profile = settings.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(benchDir, 'prof')}`]
      : [];
    const sessionSecret = randomBytes(32).toString('base64url');
    // Several processes share one public URL, as behind a load balancer: the round-robin
    // proxy's, which the closed-loop load goes through. Every process checks signatures
    // against that PUBLIC_URL + path, so the open-loop load, signed for it, can also be
    // sent to each process's own port directly (no proxy hop, per request round-robin).
    const productPorts: number[] = [];
    for (let i = 0; i < PROCESSES; i++) productPorts.push(await freePort());
    if (PROCESSES > 1) proxy = await startRoundRobinProxy(productPorts);
    const publicBase = `http://127.0.0.1:${proxy?.port ?? productPorts[0]}`;
    const products: Array<{ base: string; port: number; child: ChildProcess }> = [];
    for (const [i, port] of productPorts.entries()) {
      const base = `http://127.0.0.1:${port}`;
      const child = start(
        PROCESSES > 1 ? `product ${i + 1}` : 'product',
        [...profile, '--import', 'tsx', 'src/main.ts'],
        serverDir,
        {
          DATABASE_URL: productDb,
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_URL: publicBase,
          CREDENTIALS_ENCRYPTION_KEYS: KEYS,
          SESSION_SECRET: sessionSecret,
          DATA_DIR: path.join(benchDir, 'data'),
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
        },
      );
      products.push({ base, port, child });
    }
    const comparatorPort = await freePort();
    const nullPort = await freePort();
    const floorPort = await freePort();
    const floorBase = `http://127.0.0.1:${floorPort}`;
    const comparatorBase = `http://127.0.0.1:${comparatorPort}`;
    const nullBase = `http://127.0.0.1:${nullPort}`;
    const comparator = start('comparator', ['express-baseline.mjs'], comparatorsDir, {
      DATABASE_URL: comparatorDb,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      PUBLIC_URL: comparatorBase,
      PORT: String(comparatorPort),
    });
    const nullServer = start('null', ['null-server.mjs'], comparatorsDir, { PORT: String(nullPort) });
    const floor = start('floor', ['floor-server.mjs'], comparatorsDir, {
      DATABASE_URL: floorDb,
      PORT: String(floorPort),
    });
    for (const p of products) await waitForHttp(`${p.base}/healthz`, p.child);
    await waitForHttp(comparatorBase, comparator);
    await waitForHttp(nullBase, nullServer);
    await waitForHttp(floorBase, floor);

    const productBases = products.map((p) => p.base);
    // `url`: the public URL (signed for, and the closed loop's); `sendTo`: the servers behind it.
    const targets: Array<{ target: Target; url: string; sendTo: string[] }> = [
      { target: 'product' as const, url: `${publicBase}${webhookPath}`, sendTo: productBases },
      { target: 'comparator' as const, url: `${comparatorBase}${webhookPath}`, sendTo: [comparatorBase] },
      { target: 'null server' as const, url: `${nullBase}${webhookPath}`, sendTo: [nullBase] },
      { target: 'commit floor' as const, url: `${floorBase}${webhookPath}`, sendTo: [floorBase] },
    ].filter((t) => !ONLY || ONLY === t.target);
    const countEvents = async () =>
      (await sql<{ n: number }[]>`select count(*)::int as n from twilio_whatsapp_webhook_events`)[0]!.n;

    const rows: Row[] = [];
    // Closed loop: as many requests as the connections can carry, each sent when the previous one is answered.
    for (const { target, url } of targets) {
      for (const dup of [false, true]) {
        log(
          `${target}: closed loop, ${dup ? 'one repeated MessageSid' : 'distinct MessageSids'}, ${CONNECTIONS} connections, ${SECONDS} s`,
        );
        const product = target === 'product';
        await waitForDrained(sql);
        const before = product ? await countEvents() : 0;
        const since = (await sql<{ since: string }[]>`select now()::text as since`)[0]!.since;
        if (product) await eventLoopP99(productBases);
        const r = await drive(url, CONNECTIONS, dup);
        const row: Row = {
          target,
          mode: dup ? 'closed-repeated' : 'closed-distinct',
          offeredRate: null,
          deliveriesPerSec: r.rps,
          p50Ms: r.p50_ms,
          p99Ms: r.p99_ms,
          maxMs: null,
          ok: r.ok,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        };
        if (product) {
          row.eventLoopP99Ms = await eventLoopP99(productBases);
          await waitForDrained(sql);
          // The distinct burst's lag: how long the worker took to apply it.
          const lag = dup ? undefined : await lagOf(sql, sql`created_at >= ${since}::timestamptz`);
          row.lagP50Ms = lag?.p50 ?? null;
          row.lagP99Ms = lag?.p99 ?? null;
          row.stored = (await countEvents()) - before;
        }
        rows.push(row);
      }
    }

    // Open loop: a fixed schedule whatever the answers, as Twilio sends.
    for (const rate of OPEN_RATES) {
      for (const { target, url, sendTo } of targets) {
        log(`${target}: open loop, ${rate}/s for ${SECONDS} s`);
        await waitForDrained(sql);
        await checkpoint(sql);
        const product = target === 'product';
        const walBefore = product ? await walTotals(sql) : undefined;
        const r = await driveOpen(url, sendTo, rate, SECONDS, product);
        rows.push({
          ...openRow(target, rate, r),
          ...(product ? await productFigures(sql, productBases, r, walBefore!) : {}),
        });
      }
    }

    let soak: Soak | undefined;
    if (SOAK_SECONDS !== undefined) {
      soak = await runSoak(sql, products, `${publicBase}${webhookPath}`, SOAK_SECONDS);
    }
    await sql.end();

    const out = [
      '',
      `Webhook intake, closed loop: ${CONNECTIONS} connections, ${SECONDS} s per row, ${PROCESSES} product process${PROCESSES > 1 ? 'es' : ''}, ${os.cpus().length} CPUs, Node ${process.versions.node}`,
      ...closedTable(rows),
      '',
      `Open loop: fixed send schedule, latency from each request's scheduled time, ${SECONDS} s per row`,
      ...openTable(rows),
      '',
      ...(soak ? [...soakLines(soak), ''] : []),
    ];
    process.stdout.write(out.join('\n'));
    if (settings.BENCH_JSON) {
      writeJson(path.resolve(settings.BENCH_JSON), rows, soak);
      log(`rows written to ${path.resolve(settings.BENCH_JSON)}`);
    }
  } finally {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const child of children) child.kill('SIGKILL');
    await proxy?.close();
    await pg.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

function openRow(target: Target, rate: number, r: OpenResult): Row {
  return {
    target,
    mode: 'open',
    offeredRate: rate,
    deliveriesPerSec: r.rps,
    p50Ms: r.p50_ms,
    p99Ms: r.p99_ms,
    maxMs: r.max_ms,
    ok: r.ok,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    lateSends: r.late,
    sendDelayP99Ms: r.send_delay_p99_ms,
    sendDelayMaxMs: r.send_delay_max_ms,
  };
}

/**
 * Right after an open-loop run of the product: its event-loop delay over the run (the
 * driver's scrape before it reset the histogram), then, once the worker has drained, the lag of
 * the run's events (their MessageSids share the driver's prefix).
 */
async function productFigures(sql: postgres.Sql, bases: string[], r: OpenResult, walBefore: WalTotals) {
  const eventLoopP99Ms = await eventLoopP99(bases);
  await waitForDrained(sql);
  const wal = await walTotals(sql);
  const lag = await lagOf(sql, sql`message_sid like ${`SM${r.prefix}%`}`);
  // The WAL covers the warm-up's stored events too.
  const warmup = await lagOf(sql, sql`message_sid like ${`SM${r.warmupPrefix}%`}`);
  const events = lag.n + warmup.n;
  const perEvent = (after: number, before: number) => (events === 0 ? null : (after - before) / events);
  return {
    eventLoopP99Ms,
    lagP50Ms: lag.p50,
    lagP99Ms: lag.p99,
    walBytesPerEvent: perEvent(wal.bytes, walBefore.bytes),
    walFullPagesPerEvent: perEvent(wal.fpi, walBefore.fpi),
  };
}

/**
 * Before each open-loop row and the soak: a CHECKPOINT, as a database that has run a
 * while has behind it. Its WAL segments are then recycled, as they are in service: on a
 * cluster this young each new 16 MB segment is created and zero-filled while the WAL
 * write lock is held (PostgreSQL's default wal_init_zero), and on this machine the commit
 * that needed it waited 40-65 ms, one every ~4.5 s at 1,000/s, enough alone to set a 15-s
 * row's p99 (docs/benchmarks.md). The first change of each page after it is written whole
 * (full_page_writes), as after any checkpoint in service; the WAL column counts those.
 */
async function checkpoint(sql: postgres.Sql) {
  await sql`checkpoint`;
}

interface WalTotals {
  bytes: number;
  fpi: number;
}

/**
 * The cluster's WAL written so far (pg_stat_wal): bytes and full-page images. Taken before a
 * product row and after the worker drained it, the difference is what storing AND applying
 * the row's events wrote; every durable commit of the intake flushes its share of it.
 */
async function walTotals(sql: postgres.Sql): Promise<WalTotals> {
  const [row] = await sql<WalTotals[]>`
    select wal_bytes::float8 as bytes, wal_fpi::float8 as fpi from pg_stat_wal`;
  return row!;
}

/** The product alone at SOAK_RATE for `seconds`: memory, backlog and table sizes at the start and end. */
async function runSoak(
  sql: postgres.Sql,
  products: Array<{ base: string; port: number }>,
  url: string,
  seconds: number,
): Promise<Soak> {
  const bases = products.map((p) => p.base);
  await waitForDrained(sql);
  await checkpoint(sql);
  log(`product: soak, open loop, ${SOAK_RATE}/s for ${seconds} s`);
  const sizesStart = await tableSizes(sql);
  const metricsStart = await Promise.all(bases.map(scrape));
  // Memory through the run. Each scrape also resets the event-loop histogram, so the
  // soak's event-loop figure is the worst of the samples' (each covers its interval).
  const loadStart = Date.now();
  const samples: MemorySample[] = [];
  // Every scrape, kept for the worst event-loop delay among them.
  const scrapes: Map<string, number>[] = [];
  const sample = async () => {
    const atS = (Date.now() - loadStart) / 1000;
    const metrics = await Promise.all(bases.map(scrape));
    metrics.forEach((m, i) => {
      samples.push({
        port: products[i]!.port,
        atS,
        rssBytes: m.get('process_resident_memory_bytes') ?? null,
        heapUsedBytes: m.get('nodejs_heap_size_used_bytes') ?? null,
        liveHeapBytes: m.get('twilio_process_heap_used_after_full_gc_bytes') ?? null,
        workerLiveHeapBytes: m.get('twilio_webhook_worker_thread_heap_used_after_full_gc_bytes') ?? null,
      });
    });
    scrapes.push(...metrics);
  };
  const sampler = setInterval(() => void sample(), SOAK_SAMPLE_S * 1000);
  const r = await driveOpen(url, bases, SOAK_RATE, seconds, true).finally(() => clearInterval(sampler));
  const loadEnd = Date.now();
  const metricsEnd = await Promise.all(bases.map(scrape));
  const [pending] = await sql<{ n: number }[]>`
    select count(*)::int as n from twilio_whatsapp_webhook_events where status = 'pending'`;
  await waitForDrained(sql);
  const drainedAfterS = (Date.now() - loadEnd) / 1000;
  // After the drain, so the messages the worker wrote for the last events are counted.
  const sizesEnd = await tableSizes(sql);
  const lag = await lagOf(sql, sql`message_sid like ${`SM${r.prefix}%`}`);
  const read = (m: Map<string, number>, name: string) => m.get(name) ?? null;
  return {
    ...openRow('product', SOAK_RATE, r),
    mode: 'soak',
    seconds,
    lagP50Ms: lag.p50,
    lagP99Ms: lag.p99,
    eventLoopP99Ms: worstEventLoopDelayMs([...scrapes, ...metricsEnd]),
    memory: products.map((p, i) => ({
      port: p.port,
      rssStartBytes: read(metricsStart[i]!, 'process_resident_memory_bytes'),
      rssEndBytes: read(metricsEnd[i]!, 'process_resident_memory_bytes'),
      heapUsedStartBytes: read(metricsStart[i]!, 'nodejs_heap_size_used_bytes'),
      heapUsedEndBytes: read(metricsEnd[i]!, 'nodejs_heap_size_used_bytes'),
      workerHeapUsedStartBytes: read(metricsStart[i]!, 'twilio_webhook_worker_thread_heap_used_bytes'),
      workerHeapUsedEndBytes: read(metricsEnd[i]!, 'twilio_webhook_worker_thread_heap_used_bytes'),
      liveHeapStartBytes: read(metricsStart[i]!, 'twilio_process_heap_used_after_full_gc_bytes'),
      liveHeapEndBytes: read(metricsEnd[i]!, 'twilio_process_heap_used_after_full_gc_bytes'),
      workerLiveHeapStartBytes: read(
        metricsStart[i]!,
        'twilio_webhook_worker_thread_heap_used_after_full_gc_bytes',
      ),
      workerLiveHeapEndBytes: read(
        metricsEnd[i]!,
        'twilio_webhook_worker_thread_heap_used_after_full_gc_bytes',
      ),
    })) satisfies ProcessMemory[],
    samples,
    pendingAtEnd: pending!.n,
    drainedAfterS,
    tables: SOAK_TABLES.map((table) => ({
      table,
      totalBytesStart: sizesStart.get(table)!.total,
      totalBytesEnd: sizesEnd.get(table)!.total,
      indexBytesStart: sizesStart.get(table)!.indexes,
      indexBytesEnd: sizesEnd.get(table)!.indexes,
    })) satisfies TableSize[],
  };
}

/** Size on disk of each SOAK_TABLES table: everything (heap, TOAST, indexes) and its indexes alone. */
async function tableSizes(sql: postgres.Sql) {
  const rows = await sql<{ table: string; total: number; indexes: number }[]>`
    select t as table, pg_total_relation_size(t::regclass)::float8 as total, pg_indexes_size(t::regclass)::float8 as indexes
    from unnest(${SOAK_TABLES}::text[]) as t`;
  return new Map(rows.map((r) => [r.table, r]));
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

await main();
process.exit(0);
