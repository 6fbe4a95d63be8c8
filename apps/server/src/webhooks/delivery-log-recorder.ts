import { type IntakeVerdict, intakeVerdicts, type RefusedVerdict, UUID_PATTERN } from '@app/contracts';
import {
  type DeliveryCountDelta,
  flushDeliveryLog,
  type NewRefusedDelivery,
  pruneDeliveryLog,
  type ServiceRole,
  type WebhookEventType,
} from '@app/db';
import type { FastifyBaseLogger } from 'fastify';

export interface DeliveryLogRecorderOptions {
  /** How often the tally is written (default 5 s). */
  flushIntervalMs?: number;
  /** How often old counts and refused deliveries beyond the last 50 are deleted (default 10 min). */
  pruneIntervalMs?: number;
  /** How long per-minute counts are kept (default 7 days; the log shows the last 24 hours). */
  retainCountsMs?: number;
}

/** Distinct ids of unknown connections tallied between flushes; beyond, /metrics still counts. */
const MAX_URL_IDS = 10_000;
/** Count rows kept for the next flush while the database cannot be written. */
const MAX_RETAINED_DELTAS = 10_000;
/** Refused deliveries held between flushes; beyond, they are counted but not listed. */
const MAX_REFUSED = 1_000;

/** One connection id's counts for the current minute. */
interface ConnectionTally {
  /** Lower case: two spellings of one id are one row at the flush. */
  connectionId: string;
  minuteMs: number;
  counts: Record<IntakeVerdict, number>;
}

const noCounts = () =>
  Object.fromEntries(intakeVerdicts.map((verdict) => [verdict, 0])) as Record<IntakeVerdict, number>;

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
 * A delivery costs a map lookup by its connection's id and an increment (a refused
 * delivery to a URL naming no connection also a lower-casing and a UUID check).
 * A crash loses the last few seconds of counts: acceptable for statistics (the events
 * themselves are stored before the 200, as always). Memory is bounded by the real
 * connections plus, until the next flush, MAX_URL_IDS ids naming none and MAX_REFUSED
 * refusals; beyond, they are dropped (/metrics still counts every delivery). Ids
 * that name no connection are dropped by the write itself.
 */
export class DeliveryLogRecorder {
  /** By connection id (lower case). */
  private tallies = new Map<string, ConnectionTally>();
  /** Ids from URLs naming no connection, tallied since the last flush (at most MAX_URL_IDS). */
  private urlIds = 0;
  /** Counts of minutes that ended since the last flush. */
  private closed: DeliveryCountDelta[] = [];
  private refused: NewRefusedDelivery[] = [];
  private lastArrivalMs = 0;
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
   * One delivery's verdict, as the intake decided it. `connectionId`: the connection's
   * id once it was found, else the id as the URL spelled it (a refused delivery to an
   * unknown id); `sourceIp` is kept for refused deliveries only.
   */
  record(connectionId: string, route: WebhookEventType, verdict: IntakeVerdict, sourceIp?: string): void {
    const tally = this.tallyOf(connectionId, verdict === 'unknownConnection');
    if (!tally) return;
    const now = Date.now();
    const minuteMs = now - (now % 60_000);
    if (tally.minuteMs !== minuteMs) {
      this.closeMinute(tally);
      tally.minuteMs = minuteMs;
    }
    tally.counts[verdict]++;
    if (verdict === 'accepted' || verdict === 'repeated') return;
    if (this.refused.length >= MAX_REFUSED) return;
    this.refused.push({
      connectionId: tally.connectionId,
      receivedMs: this.arrivalTime(now),
      eventType: route,
      verdict,
      sourceIp: sourceIp?.slice(0, 64) ?? null,
      reason: reasons[verdict],
    });
  }

  /**
   * The wall clock, made strictly increasing by 5 microseconds (the column keeps microseconds)
   * where deliveries share a millisecond: the last 50 kept are the last to arrive, and
   * a tie would leave their order to the rows' random ids.
   */
  private arrivalTime(nowMs: number): number {
    this.lastArrivalMs = nowMs > this.lastArrivalMs ? nowMs : this.lastArrivalMs + 0.005;
    return this.lastArrivalMs;
  }

  /**
   * The tally of a connection id. An unknown connection's id comes from the URL as
   * anyone spelled it: checked, lower-cased, and within a budget per flush interval, so
   * that posts to random ids can neither grow memory nor crowd out real connections,
   * whose ids (from the database, canonical) are always tallied.
   */
  private tallyOf(id: string, fromUrl: boolean): ConnectionTally | null {
    const key = fromUrl ? id.toLowerCase() : id;
    const known = this.tallies.get(key);
    if (known) return known;
    if (fromUrl) {
      if (this.urlIds >= MAX_URL_IDS || !UUID_PATTERN.test(key)) return null;
      this.urlIds++;
    }
    const tally = { connectionId: key, minuteMs: 0, counts: noCounts() };
    this.tallies.set(key, tally);
    return tally;
  }

  /** Moves a tally's counts to `closed` (its minute ended, or a flush) and zeroes them. */
  private closeMinute(tally: ConnectionTally): void {
    for (const verdict of intakeVerdicts) {
      const count = tally.counts[verdict];
      if (count > 0)
        this.closed.push({ connectionId: tally.connectionId, minuteMs: tally.minuteMs, verdict, count });
    }
    tally.counts = noCounts();
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
    for (const tally of this.tallies.values()) this.closeMinute(tally);
    this.tallies = new Map();
    this.urlIds = 0;
    if (this.closed.length === 0 && this.refused.length === 0) return;
    const deltas = mergeDeltas(this.closed);
    const refused = this.refused;
    this.closed = [];
    this.refused = [];
    try {
      await this.serviceRole.run((on) => flushDeliveryLog(on, deltas, refused));
    } catch (err) {
      // Kept for the next flush (the database may be down for a while: bounded as above).
      this.closed = mergeDeltas([...deltas, ...this.closed]).slice(0, MAX_RETAINED_DELTAS);
      this.refused = [...refused, ...this.refused].slice(-MAX_REFUSED);
      this.log.warn({ err }, 'delivery log: could not write the counts; will try again');
    }
  }

  /** Deletes counts past their retention and refused deliveries beyond each connection's last 50. */
  async prune(): Promise<{ counts: number; refused: number }> {
    return this.serviceRole.transaction((tx) => pruneDeliveryLog(tx, { countsMs: this.retainCountsMs }));
  }
}

/** One delta per (connection, minute, verdict): the statement may touch each row once. */
function mergeDeltas(deltas: readonly DeliveryCountDelta[]): DeliveryCountDelta[] {
  const merged = new Map<string, DeliveryCountDelta>();
  for (const d of deltas) {
    const key = `${d.connectionId} ${d.minuteMs} ${d.verdict}`;
    const seen = merged.get(key);
    if (seen) seen.count += d.count;
    else merged.set(key, { ...d });
  }
  return [...merged.values()];
}
