import type { FastifyBaseLogger } from 'fastify';

/** The few logger methods the outage log writes with. */
export type OutageLogger = Pick<FastifyBaseLogger, 'warn'>;

export interface OutageLogOptions {
  /** At most one summary line per this many milliseconds while the outage lasts (default 30 s). */
  summaryEveryMs?: number;
  now?: () => number;
}

/**
 * What the intake says about a database outage: one line when it starts (the first
 * 503), at most one summary per `summaryEveryMs` while it lasts (the 503s since the
 * previous line), and one line when the database answers again. A warning with a
 * stack per 503 wrote about 3,500 lines (2 MB) per process in a 42 s outage.
 */
export class OutageLog {
  private outage: { startedAt: number; lastLineAt: number; sinceLastLine: number; total: number } | null =
    null;
  private readonly summaryEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly log: OutageLogger,
    options: OutageLogOptions = {},
  ) {
    this.summaryEveryMs = options.summaryEveryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** A delivery was answered 503 because the database could not be reached. */
  unavailable(error: unknown) {
    const now = this.now();
    if (!this.outage) {
      this.outage = { startedAt: now, lastLineAt: now, sinceLastLine: 0, total: 1 };
      // The reason without its stack: the same stack thousands of times says nothing more.
      this.log.warn(
        { reason: reasonOf(error) },
        'webhook intake: database unavailable; answering 503 until it is back',
      );
      return;
    }
    this.outage.sinceLastLine += 1;
    this.outage.total += 1;
    if (now - this.outage.lastLineAt < this.summaryEveryMs) return;
    this.log.warn(
      {
        answered503: this.outage.sinceLastLine,
        outageSeconds: Math.round((now - this.outage.startedAt) / 1000),
        reason: reasonOf(error),
      },
      'webhook intake: database still unavailable',
    );
    this.outage.lastLineAt = now;
    this.outage.sinceLastLine = 0;
  }

  /** The database answered a delivery again: closes the outage, if there was one. */
  reachable() {
    if (!this.outage) return;
    const { startedAt, sinceLastLine, total } = this.outage;
    this.outage = null;
    this.log.warn(
      {
        answered503: sinceLastLine,
        answered503Total: total,
        outageSeconds: Math.round((this.now() - startedAt) / 1000),
      },
      'webhook intake: database reachable again',
    );
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
