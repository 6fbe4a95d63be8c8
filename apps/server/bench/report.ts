// The bench's figures: the rows it measured, printed as two tables (closed loop, open
// loop), the soak's summary, and the same rows as JSON (BENCH_JSON).
import { writeFileSync } from 'node:fs';

export type Target = 'product' | 'comparator' | 'null server' | 'commit floor';
export type Mode = 'closed-distinct' | 'closed-repeated' | 'open';

/** One measured row; the product's rows also carry its event-loop delay and processing lag. */
export interface Row {
  target: Target;
  mode: Mode;
  /** Deliveries/s offered on a fixed schedule; null in a closed loop (as fast as answered). */
  offeredRate: number | null;
  deliveriesPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** null for the closed-loop rows: the shared drive.mjs reports no maximum. */
  maxMs: number | null;
  ok: number;
  non2xx: number;
  /** Socket errors and requests still unanswered when the load generator stopped waiting. */
  errors: number;
  /** Open loop: requests that got a socket more than 10 ms after their scheduled time. */
  lateSends?: number;
  /** Open loop: p99 and max of (socket assigned - scheduled time): how well the load generator kept its schedule. */
  sendDelayP99Ms?: number | null;
  sendDelayMaxMs?: number | null;
  /** The product: new rows in the events table during the row. */
  stored?: number;
  /** The product: prom-client's event-loop delay p99 over the row (worst process); null if not exposed. */
  eventLoopP99Ms?: number | null;
  /** The product: intake-to-processed lag (processed_at - created_at) of the row's events. */
  lagP50Ms?: number | null;
  lagP99Ms?: number | null;
  /** The product, open loop: WAL written per event stored, from the row's start until the worker drained it. */
  walBytesPerEvent?: number | null;
  /** ...and of it, full-page images per event (the first change of each page after a checkpoint). */
  walFullPagesPerEvent?: number | null;
}

/** One product process's memory, from its /metrics (null where the series is absent). */
export interface ProcessMemory {
  port: number;
  rssStartBytes: number | null;
  rssEndBytes: number | null;
  heapUsedStartBytes: number | null;
  heapUsedEndBytes: number | null;
  /** The worker thread's heap (its own isolate), as of its last batch. */
  workerHeapUsedStartBytes: number | null;
  workerHeapUsedEndBytes: number | null;
  /** The live heaps: in use just after the latest full collection (main thread, worker thread). */
  liveHeapStartBytes: number | null;
  liveHeapEndBytes: number | null;
  workerLiveHeapStartBytes: number | null;
  workerLiveHeapEndBytes: number | null;
}

/** One process's memory during the soak, read every SOAK_SAMPLE_S seconds. */
export interface MemorySample {
  port: number;
  /** Seconds since the soak's load started. */
  atS: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  liveHeapBytes: number | null;
  workerLiveHeapBytes: number | null;
}

export interface TableSize {
  table: string;
  totalBytesStart: number;
  totalBytesEnd: number;
  indexBytesStart: number;
  indexBytesEnd: number;
}

/** The product alone at a steady rate for a long while: the row plus what would show a leak or bloat. */
export interface Soak extends Omit<Row, 'mode'> {
  mode: 'soak';
  seconds: number;
  memory: ProcessMemory[];
  /** Every process's memory through the run: a leak keeps growing, a heap settling in flattens out. */
  samples: MemorySample[];
  /** Events still pending the moment the load stopped. */
  pendingAtEnd: number;
  /** Seconds from the end of the load until no event was pending. */
  drainedAfterS: number;
  tables: TableSize[];
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : `${fmt(n, 1)} ms`);
const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${fmt(bytes / 2 ** 20, 1)} MiB`);
const growth = (start: number | null, end: number | null) =>
  start === null || end === null || start === 0
    ? ''
    : ` (${end >= start ? '+' : ''}${fmt((100 * (end - start)) / start, 1)} %)`;

/** A plain-text table: the first `leftColumns` columns left-aligned, the rest right-aligned. */
function table(rows: string[][], leftColumns: number): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

export function closedTable(rows: Row[]): string[] {
  const closed = rows.filter((r) => r.mode !== 'open');
  const comparatorRps = (mode: Mode) =>
    closed.find((x) => x.target === 'comparator' && x.mode === mode)?.deliveriesPerSec ?? Number.NaN;
  return table(
    [
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
      ...closed.map((r) => [
        r.target,
        r.mode === 'closed-distinct' ? 'distinct' : 'repeated',
        fmt(r.deliveriesPerSec),
        fmt(r.p50Ms),
        fmt(r.p99Ms),
        fmt(r.ok),
        fmt(r.non2xx),
        fmt(r.errors),
        r.stored === undefined ? '' : fmt(r.stored),
        Number.isNaN(comparatorRps(r.mode)) ? '' : `${fmt(r.deliveriesPerSec / comparatorRps(r.mode), 2)}x`,
      ]),
    ],
    2,
  );
}

export function openTable(rows: Row[]): string[] {
  return table(
    [
      [
        'target',
        'offered/s',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'non-2xx',
        'errors',
        'late sends',
        'loop p99 ms',
        'lag p50 ms',
        'lag p99 ms',
        'WAL/event',
      ],
      ...rows
        .filter((r) => r.mode === 'open')
        .map((r) => {
          const product = r.target === 'product';
          return [
            r.target,
            fmt(r.offeredRate),
            fmt(r.deliveriesPerSec),
            fmt(r.p50Ms, 1),
            fmt(r.p99Ms, 1),
            fmt(r.maxMs, 1),
            fmt(r.non2xx),
            fmt(r.errors),
            fmt(r.lateSends),
            product ? fmt(r.eventLoopP99Ms, 1) : '',
            product ? fmt(r.lagP50Ms, 1) : '',
            product ? fmt(r.lagP99Ms, 1) : '',
            product ? walPerEvent(r) : '',
          ];
        }),
    ],
    1,
  );
}

/** "2,310 B (0.12 pages)": WAL bytes per event, with the full-page images among them. */
function walPerEvent(r: Row): string {
  if (r.walBytesPerEvent == null) return '';
  return `${fmt(r.walBytesPerEvent)} B (${fmt(r.walFullPagesPerEvent, 2)} pages)`;
}

export function soakLines(soak: Soak): string[] {
  return [
    `Soak: the product alone at ${fmt(soak.offeredRate)} deliveries/s (open loop) for ${fmt(soak.seconds)} s: ` +
      `${fmt(soak.deliveriesPerSec)} deliveries/s, p50 ${ms(soak.p50Ms)}, p99 ${ms(soak.p99Ms)}, ` +
      `max ${ms(soak.maxMs)}, non-2xx ${fmt(soak.non2xx)}, errors ${fmt(soak.errors)}, late sends ${fmt(soak.lateSends)}`,
    `  event-loop delay p99 ${ms(soak.eventLoopP99Ms)}; processing lag p50 ${ms(soak.lagP50Ms)}, p99 ${ms(soak.lagP99Ms)}`,
    ...soak.memory.map(
      (m) =>
        `  process :${m.port}: RSS ${mib(m.rssStartBytes)} -> ${mib(m.rssEndBytes)}${growth(m.rssStartBytes, m.rssEndBytes)}, ` +
        `heap used ${mib(m.heapUsedStartBytes)} -> ${mib(m.heapUsedEndBytes)}${growth(m.heapUsedStartBytes, m.heapUsedEndBytes)}, ` +
        `worker thread heap ${mib(m.workerHeapUsedStartBytes)} -> ${mib(m.workerHeapUsedEndBytes)}${growth(m.workerHeapUsedStartBytes, m.workerHeapUsedEndBytes)}`,
    ),
    ...soak.memory.map(
      (m) =>
        `  process :${m.port}: live heap (after a full collection) ${mib(m.liveHeapStartBytes)} -> ${mib(m.liveHeapEndBytes)}${growth(m.liveHeapStartBytes, m.liveHeapEndBytes)}, ` +
        `worker thread ${mib(m.workerLiveHeapStartBytes)} -> ${mib(m.workerLiveHeapEndBytes)}${growth(m.workerLiveHeapStartBytes, m.workerLiveHeapEndBytes)}`,
    ),
    ...soak.memory.flatMap((m) => {
      const mine = soak.samples.filter((x) => x.port === m.port);
      const series = (pick: (x: MemorySample) => number | null) =>
        mine.map((x) => (pick(x) === null ? 'n/a' : fmt(pick(x)! / 2 ** 20, 0))).join(' ');
      const at = mine.map((x) => fmt(x.atS, 0)).join(' ');
      return mine.length === 0
        ? []
        : [
            `  process :${m.port} through the run (MiB at ${at} s): RSS ${series((x) => x.rssBytes)}; ` +
              `heap used ${series((x) => x.heapUsedBytes)}; live heap ${series((x) => x.liveHeapBytes)}; ` +
              `worker live heap ${series((x) => x.workerLiveHeapBytes)}`,
          ];
    }),
    `  pending events at the load's last answer: ${fmt(soak.pendingAtEnd)} (none pending ${fmt(soak.drainedAfterS, 1)} s later)`,
    ...soak.tables.map(
      (t) =>
        `  ${t.table}: total ${mib(t.totalBytesStart)} -> ${mib(t.totalBytesEnd)}, ` +
        `indexes ${mib(t.indexBytesStart)} -> ${mib(t.indexBytesEnd)}`,
    ),
  ];
}

/** BENCH_JSON: every row (and the soak, if it ran) as one JSON array. */
export function writeJson(file: string, rows: Row[], soak: Soak | undefined) {
  writeFileSync(file, `${JSON.stringify(soak ? [...rows, soak] : rows, null, 2)}\n`);
}
