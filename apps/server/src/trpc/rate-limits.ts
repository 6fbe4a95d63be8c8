import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimit {
  /** Calls allowed per key in the window. */
  max: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /**
   * What the budget is per: the client IP (default; the address the nearest trusted
   * proxy saw, see TRUST_PROXY), or the call's normalized `email` input, which caps a
   * password guess spread over many IPs.
   */
  per?: RateLimitKey;
}

export type RateLimitKey = 'ip' | 'email';

/** Per-procedure limits; procedures not listed are not limited. */
export type ProcedureRateLimits = Record<string, RateLimit | readonly RateLimit[]>;

/** Guessing passwords, creating accounts and hammering Twilio through us are the abuses worth stopping. */
export const defaultProcedureRateLimits: ProcedureRateLimits = {
  'auth.signIn': [
    { max: 10, windowMs: 60_000 },
    // Failed or not: an attacker cannot tell us apart from the owner, so neither is exempt.
    { max: 10, windowMs: 15 * 60_000, per: 'email' },
  ],
  'auth.signUp': { max: 5, windowMs: 60_000 },
  'whatsapp.connections.create': { max: 20, windowMs: 60_000 },
};

/**
 * TRUST_PROXY as Fastify's `trustProxy`. A hop count becomes a function: Fastify 5.12
 * treats a bare number as "trust nothing" (it cannot check the immediate peer), so
 * with n hops the client IP is the n-th X-Forwarded-For entry from the right, the
 * one the nearest trusted proxy appended. Only safe when the server is reachable
 * through the proxies alone; otherwise list the proxies' addresses instead.
 */
export function fastifyTrustProxy(
  trust: number | string[] | undefined,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === undefined || trust === 0) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

/**
 * Each procedure's budgets, spent by the tRPC middleware in trpc.ts (a batch
 * spends one per call). The counters live in this process's memory: with
 * several server processes each has its own budget and the effective limit is
 * multiplied by the process count; a shared store (Redis, PostgreSQL) would be
 * needed to make them global.
 */
export class ProcedureRateLimiter {
  readonly #budgets = new Map<string, RateLimiterMemory[]>();

  constructor(limits: ProcedureRateLimits) {
    for (const [path, limit] of Object.entries(limits)) {
      for (const { max, windowMs, per = 'ip' } of [limit].flat()) {
        const key = `${path}|${per}`;
        const budget = new RateLimiterMemory({ keyPrefix: key, points: max, duration: windowMs / 1000 });
        this.#budgets.set(key, [...(this.#budgets.get(key) ?? []), budget]);
      }
    }
  }

  /**
   * Spends one call of `path` for `key` (an IP or a normalized email) from each of
   * its `per` budgets. Returns the seconds to wait when one is spent, else null.
   */
  async spend(path: string, per: RateLimitKey, key: string): Promise<number | null> {
    for (const budget of this.#budgets.get(`${path}|${per}`) ?? []) {
      try {
        await budget.consume(key);
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
        throw refusal;
      }
    }
    return null;
  }
}
