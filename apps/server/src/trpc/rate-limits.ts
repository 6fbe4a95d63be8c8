import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { procedurePaths, trpcErrorBody } from './http-error.ts';

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
  per?: 'ip' | 'email';
}

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

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** The request's JSON body: tRPC's content-type parser leaves it a string for tRPC to parse. */
function jsonBody(req: FastifyRequest): unknown {
  if (typeof req.body !== 'string') return req.body;
  try {
    return JSON.parse(req.body);
  } catch {
    return undefined; // tRPC answers the malformed body itself
  }
}

/** The normalized `email` input of the index-th call of a request, when it has one. */
function emailInput(body: unknown, index: number, batch: boolean): string | undefined {
  const input = batch ? (body as Record<string, unknown> | null | undefined)?.[String(index)] : body;
  const email = (input as { email?: unknown } | null | undefined)?.email;
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : undefined;
}

function tooManyAttempts(req: FastifyRequest, reply: FastifyReply, path: string, ttlInSeconds: number) {
  req.log.warn({ path }, 'rate limit reached');
  return reply
    .code(429)
    .header('retry-after', String(ttlInSeconds))
    .send(
      trpcErrorBody(
        req,
        'TOO_MANY_REQUESTS',
        429,
        `Too many attempts. Wait ${ttlInSeconds} seconds and try again.`,
      ),
    );
}

/**
 * Returns an onRequest hook for /trpc: every procedure named in the request (a batch
 * counts each call) spends one from that procedure's per-IP budget; past it, 429 with
 * a tRPC-shaped error and Retry-After. Per-email budgets need the parsed body, so they
 * are spent in a preHandler hook this registers on `app`. Needs @fastify/rate-limit
 * registered (global: false) on `app`.
 *
 * The counters live in @fastify/rate-limit's in-memory store, so they are per process:
 * with several server processes (DESIGN.md, multi-process) each has its own budget and
 * the effective limit is multiplied by the process count. A shared store (Redis,
 * PostgreSQL) would be needed to make them global.
 */
export function procedureRateLimiter(app: FastifyInstance, limits: ProcedureRateLimits) {
  const byIp = new Map<string, Limiter[]>();
  const byEmail = new Map<string, Limiter[]>();
  // The email limiters' key is computed before each call: keyGenerator only sees the request.
  const emailKeys = new WeakMap<FastifyRequest, string>();
  for (const [path, limit] of Object.entries(limits)) {
    for (const { max, windowMs, per = 'ip' } of [limit].flat()) {
      const limiter =
        per === 'ip'
          ? app.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (req) => `${path}|ip|${req.ip}` })
          : app.createRateLimit({
              max,
              timeWindow: windowMs,
              keyGenerator: (req) => `${path}|email|${emailKeys.get(req)}`,
            });
      const into = per === 'ip' ? byIp : byEmail;
      into.set(path, [...(into.get(path) ?? []), limiter]);
    }
  }

  if (byEmail.size > 0) {
    app.addHook('preHandler', async (req, reply) => {
      if (!req.url.startsWith('/trpc/')) return;
      const batch = new URLSearchParams(req.url.split('?', 2)[1] ?? '').get('batch') === '1';
      const paths = procedurePaths(req);
      if (!paths.some((path) => byEmail.has(path))) return;
      const body = jsonBody(req);
      for (const [index, path] of paths.entries()) {
        const email = emailInput(body, index, batch);
        if (!email) continue;
        for (const limiter of byEmail.get(path) ?? []) {
          emailKeys.set(req, email);
          const result = await limiter(req);
          if (!result.isAllowed && result.isExceeded)
            return tooManyAttempts(req, reply, path, result.ttlInSeconds);
        }
      }
    });
  }

  return async (req: FastifyRequest, reply: FastifyReply) => {
    for (const path of procedurePaths(req)) {
      for (const limiter of byIp.get(path) ?? []) {
        const result = await limiter(req);
        if (!result.isAllowed && result.isExceeded)
          return tooManyAttempts(req, reply, path, result.ttlInSeconds);
      }
    }
  };
}
