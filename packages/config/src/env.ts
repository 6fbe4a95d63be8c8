import path from 'node:path';
import { z } from 'zod';

/** The repository's root: `.data/` (embedded PostgreSQL, generated dev keys) lives here. */
export const repoRoot = path.resolve(import.meta.dirname, '../../..');

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** TRUST_PROXY values that mean "no proxy" (compared case-insensitively). */
const TRUST_PROXY_OFF = new Set(['', '0', 'false', 'no', 'off']);

/** TRUST_PROXY: a hop count or proxy addresses; `true` is refused, it trusts what the client wrote. */
const trustProxy = z
  .string()
  .trim()
  .default('0')
  .transform((value, ctx): number | string[] => {
    if (TRUST_PROXY_OFF.has(value.toLowerCase())) return 0;
    if (/^\d+$/.test(value)) return Number(value);
    const addresses = value.split(',').map((a) => a.trim());
    const address = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
    if (addresses.every((a) => address.safeParse(a).success)) return addresses;
    ctx.addIssue({
      code: 'custom',
      message:
        'TRUST_PROXY must be a number of proxy hops (0 = none, 1 = one load balancer) or a comma-separated list of proxy IPs/CIDRs',
    });
    return z.NEVER;
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: optionalString.pipe(z.url({ message: 'DATABASE_URL must be a postgres:// URL' }).optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /**
   * Behind proxies: how many hops to trust (an integer, 0 = none) or which proxies (a
   * comma-separated list of IPs/CIDRs). The client IP (rate limits) is then the address
   * the nearest trusted proxy saw, never the client-written leftmost X-Forwarded-For
   * entry that `true` would give.
   */
  TRUST_PROXY: trustProxy,
  PUBLIC_URL: optionalString.pipe(
    z.url({ message: 'PUBLIC_URL must be an absolute http(s) URL' }).optional(),
  ),
  CREDENTIALS_ENCRYPTION_KEYS: optionalString,
  SESSION_SECRET: optionalString,
  TWILIO_API_BASE_URL: optionalString.pipe(z.url().optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default(path.join(repoRoot, '.data')),
  /** Port of the embedded PostgreSQL started when DATABASE_URL is unset. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** `pnpm demo`: port of the in-process Twilio simulator (its control API is under /_simulator). */
  DEMO_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3999),
  /** Chromium used by the end-to-end tests (Debian's package by default). */
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** `pnpm bench`: seconds per measured row (and of the steady-rate run). */
  BENCH_SECONDS: z.coerce.number().int().min(1).default(10),
  /** `pnpm bench`: concurrent connections of the load generator. */
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).default(64),
  /**
   * `pnpm bench`: offered rates (deliveries/s, comma-separated) of the open-loop rows: each
   * target gets one row per rate, requests sent on a fixed schedule whatever the answers.
   */
  BENCH_OPEN_RATES: optionalString.transform((value, ctx): number[] => {
    const rates = (value ?? '1000,1600').split(',').map((r) => Number(r.trim()));
    if (rates.every((r) => Number.isInteger(r) && r >= 1)) return rates;
    ctx.addIssue({
      code: 'custom',
      message: 'BENCH_OPEN_RATES must be positive whole deliveries/s, comma-separated (e.g. 1000,1600)',
    });
    return z.NEVER;
  }),
  /** `pnpm bench`: most sockets the open-loop load generator opens to each server process. */
  BENCH_OPEN_SOCKETS: z.coerce.number().int().min(1).default(512),
  /**
   * `pnpm bench`: product server processes on the one database, each on its own port; the
   * load is shared between them round-robin.
   */
  BENCH_PROCESSES: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * `pnpm bench`: each open-loop row (and the soak) first runs its schedule this long
   * unmeasured, so the figures are the steady rate's, not a fresh load generator's first
   * second; failures during it still count.
   */
  BENCH_WARMUP_SECONDS: z.coerce.number().min(0).default(2),
  /**
   * `pnpm bench`: after the other rows, the product alone at 1,000 deliveries/s (open loop)
   * for this many seconds, with memory, backlog and table sizes at the start and end; unset = no soak.
   */
  BENCH_SOAK_SECONDS: optionalString.pipe(z.coerce.number<string>().int().min(1).optional()),
  /** `pnpm bench`: also write every row as JSON to this file (relative to apps/server). */
  BENCH_JSON: optionalString,
  /**
   * `pnpm bench`: the folder of the shared comparators (`../shared/bench` beside the
   * repository when unset), e.g. for a checkout that is not beside it.
   */
  BENCH_COMPARATORS_DIR: optionalString,
  /** `pnpm bench`: measure only this target (`product`, `comparator`, `null` or `floor`); unset = all four. */
  BENCH_ONLY: optionalString.pipe(
    z
      .enum(['product', 'comparator', 'null', 'floor'], {
        message: 'BENCH_ONLY must be product, comparator, null or floor',
      })
      .optional(),
  ),
  /** `pnpm bench`: `1`/`true` writes a CPU profile of the product to apps/server/.bench/prof. */
  BENCH_CPU_PROF: optionalString.pipe(z.stringbool().optional()).transform((v) => v ?? false),
});

export type Env = z.infer<typeof envSchema>;

/** Parses an environment; throws one readable error listing every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

let cached: Env | undefined;

/** The process environment, validated once. The only reader of process.env. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Variables a child process needs from its parent's environment to run at all (finding binaries, a home, temp files, locale). */
const CHILD_PROCESS_BASICS = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'TZ',
  'SystemRoot',
] as const;

/**
 * The environment for a child process: the few basics from this process's environment
 * (PATH, HOME, TMPDIR, locale) plus `extra`, and nothing else, so no secret or setting of
 * the parent leaks into the child unless it is passed on purpose.
 */
export function childProcessEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CHILD_PROCESS_BASICS) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}
