import type { IntakeVerdict, RefusedVerdict } from '@app/contracts';
import {
  type DeliveryCountDelta,
  flushDeliveryLog,
  type NewRefusedDelivery,
  pruneDeliveryLog,
  type ServiceRole,
  type WebhookEventType,
} from '@app/db';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { DeliveryOutcome } from './webhook-metrics.ts';

export interface DeliveryLogRecorderOptions {
  /** How often the tally is written (default 5 s). */
  flushIntervalMs?: number;
  /** How often old counts and refused deliveries beyond the last 50 are deleted (default 10 min). */
  pruneIntervalMs?: number;
  /** How long per-minute counts are kept (default 7 days; the log shows the last 24 hours). */
  retainCountsMs?: number;
}

/** Distinct (connection, minute, verdict) keys held between flushes; beyond, /metrics still counts. */
const MAX_COUNT_KEYS = 10_000;
/** Refused deliveries held between flushes; beyond, they are counted but not listed. */
const MAX_REFUSED = 1_000;

// Lower case, so two spellings of one id are one key (one row per statement).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a delivery was refused, in words an admin can act on. Never anything the request carried. */
const reasons: Record<RefusedVerdict, string> = {
  missingSignature:
    'The request had no X-Twilio-Signature header: it did not come from Twilio, or a proxy in between removed the header.',
  badSignature:
    "X-Twilio-Signature did not match this connection's Auth Token: was the Auth Token changed or rotated in Twilio? Update it here. Otherwise the public URL may differ from the one Twilio calls.",
  unknownConnection:
    "This connection is disconnected, but Twilio still sends to its webhook URL. Connect the number again, or change its webhook URLs in Twilio's console.",
};

/**
 * Counts the intake's deliveries per connection, minute and verdict, and keeps the
 * refused ones (time, source address, verdict, reason), for the delivery log.
 *
 * The intake pays only a few map operations per delivery: everything is tallied in
 * memory and written every few seconds in ONE statement, never a query per request.
 * A crash loses the last few seconds of counts: acceptable for statistics (the events
 * themselves are stored before the 200, as always). Memory is bounded: past
 * MAX_COUNT_KEYS keys or MAX_REFUSED refusals until the next flush, more are dropped
 * (/metrics still counts every delivery). Ids that name no connection are dropped
 * by the write itself.
 */
export class DeliveryLogRecorder {
  private counts = new Map<string, DeliveryCountDelta>();
  private refused: NewRefusedDelivery[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly pruneIntervalMs: number;
  private readonly retainCountsMs: number;

  constructor(
    private readonly serviceRole: ServiceRole,
    private readonly log: FastifyBaseLogger,
    options: DeliveryLogRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 5_000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60_000;
    this.retainCountsMs = options.retainCountsMs ?? 7 * 24 * 60 * 60_000;
  }

  /**
   * The intake's delivery counter for one request: counts on /metrics as `count` does,
   * and tallies the delivery's verdict for the log.
   */
  counting(
    count: (route: WebhookEventType, outcome: DeliveryOutcome) => void,
    request: FastifyRequest,
  ): (route: WebhookEventType, outcome: DeliveryOutcome) => void {
    return (route, outcome) => {
      count(route, outcome);
      this.record(request, route, outcome);
    };
  }

  /** One delivery's outcome, as the intake decided it. */
  record(request: FastifyRequest, route: WebhookEventType, outcome: DeliveryOutcome): void {
    const verdict = verdictOf(request, outcome);
    if (verdict === null) return;
    const connectionId = (request.params as { connectionId?: string }).connectionId?.toLowerCase();
    if (connectionId === undefined || !UUID.test(connectionId)) return;
    const now = Date.now();
    this.tally(connectionId, now - (now % 60_000), verdict);
    if (verdict === 'accepted' || verdict === 'repeated') return;
    if (this.refused.length >= MAX_REFUSED) return;
    this.refused.push({
      connectionId,
      receivedMs: now,
      eventType: route,
      verdict,
      sourceIp: request.ip?.slice(0, 64) ?? null,
      reason: reasons[verdict],
    });
  }

  private tally(connectionId: string, minuteMs: number, verdict: IntakeVerdict, n = 1): void {
    const key = `${connectionId} ${minuteMs} ${verdict}`;
    const delta = this.counts.get(key);
    if (delta) delta.count += n;
    else if (this.counts.size < MAX_COUNT_KEYS)
      this.counts.set(key, { connectionId, minuteMs, verdict, count: n });
  }

  /** Starts the periodic flush and prune (timers that do not hold the process open). */
  start(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.flushTimer.unref();
    this.pruneTimer = setInterval(
      () => void this.prune().catch((err) => this.log.warn({ err }, 'delivery log: prune failed')),
      this.pruneIntervalMs,
    );
    this.pruneTimer.unref();
  }

  /** Stops the timers and writes what is tallied (at close). */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.pruneTimer);
    await this.flush();
  }

  /** Writes the tally now, in one statement (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeTally());
    return this.flushing;
  }

  private async writeTally(): Promise<void> {
    if (this.counts.size === 0 && this.refused.length === 0) return;
    const deltas = [...this.counts.values()];
    const refused = this.refused;
    this.counts = new Map();
    this.refused = [];
    try {
      await this.serviceRole.run((on) => flushDeliveryLog(on, deltas, refused));
    } catch (err) {
      // Kept for the next flush (the database may be down for a while: bounded as above).
      for (const d of deltas) this.tally(d.connectionId, d.minuteMs, d.verdict, d.count);
      this.refused = [...refused, ...this.refused].slice(-MAX_REFUSED);
      this.log.warn({ err }, 'delivery log: could not write the counts; will try again');
    }
  }

  /** Deletes counts past their retention and refused deliveries beyond each connection's last 50. */
  async prune(): Promise<{ counts: number; refused: number }> {
    return this.serviceRole.transaction((tx) => pruneDeliveryLog(tx, { countsMs: this.retainCountsMs }));
  }
}

/** The log's verdict for the intake's outcome; null for what the log does not count (415, 503, 500). */
function verdictOf(request: FastifyRequest, outcome: DeliveryOutcome): IntakeVerdict | null {
  switch (outcome) {
    case 'accepted':
      return 'accepted';
    case 'duplicate':
      return 'repeated';
    case 'not_found':
      return 'unknownConnection';
    case 'rejected_signature': {
      // The intake answers 400 without the header and 403 with a wrong one; both count
      // as rejected_signature on /metrics.
      const signature = request.headers['x-twilio-signature'];
      return typeof signature === 'string' && signature.length > 0 ? 'badSignature' : 'missingSignature';
    }
    default:
      return null;
  }
}
