import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv, repoRoot } from '../src/env.ts';

describe('parseEnv', () => {
  it('applies the documented defaults when nothing is set', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CHROMIUM_PATH).toBe('/usr/bin/chromium');
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', PUBLIC_URL: '  ' }).DATABASE_URL).toBeUndefined();
  });

  it('names every invalid variable in one readable error', () => {
    expect(() => parseEnv({ PORT: 'eighty', PUBLIC_URL: 'not a url' })).toThrow(
      /PORT[\s\S]*PUBLIC_URL|PUBLIC_URL[\s\S]*PORT/,
    );
  });

  it('passes DATABASE_URL through to the test runner (turbo must not strip it)', () => {
    // `DATABASE_URL=… pnpm test` runs every suite against that server; turbo's strict
    // env mode would silently drop it unless turbo.json passes it through.
    const turbo = JSON.parse(readFileSync(path.join(repoRoot, 'turbo.json'), 'utf8'));
    expect(turbo.globalPassThroughEnv).toEqual(expect.arrayContaining(['DATABASE_URL', 'CHROMIUM_PATH']));
  });

  it('reads TRUST_PROXY false, no, off, 0 and empty as no proxy, and still refuses true', () => {
    for (const off of ['false', 'no', 'off', '0', '', 'FALSE', ' Off ']) {
      expect(parseEnv({ TRUST_PROXY: off }).TRUST_PROXY).toBe(0);
    }
    expect(() => parseEnv({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must be a number of proxy hops/);
  });

  it('reads the benchmark settings: open-loop rates as a list, no soak unless asked', () => {
    const defaults = parseEnv({});
    expect(defaults.BENCH_OPEN_RATES).toEqual([1000, 1600]);
    expect(defaults.BENCH_PROCESSES).toBe(1);
    expect(defaults.BENCH_SOAK_SECONDS).toBeUndefined();
    expect(defaults.BENCH_JSON).toBeUndefined();
    expect(defaults.BENCH_WARMUP_SECONDS).toBe(2);
    const set = parseEnv({
      BENCH_OPEN_RATES: ' 300, 800 ',
      BENCH_SOAK_SECONDS: '300',
      BENCH_PROCESSES: '2',
      BENCH_WARMUP_SECONDS: '0.5',
    });
    expect(set.BENCH_WARMUP_SECONDS).toBe(0.5);
    expect(set.BENCH_OPEN_RATES).toEqual([300, 800]);
    expect(set.BENCH_SOAK_SECONDS).toBe(300);
    expect(set.BENCH_PROCESSES).toBe(2);
    expect(() => parseEnv({ BENCH_OPEN_RATES: '1000,fast' })).toThrow(/BENCH_OPEN_RATES must be positive/);
    expect(() => parseEnv({ BENCH_SOAK_SECONDS: '0' })).toThrow(/BENCH_SOAK_SECONDS/);
    expect(() => parseEnv({ BENCH_WARMUP_SECONDS: '-1' })).toThrow(/BENCH_WARMUP_SECONDS/);
  });
});
