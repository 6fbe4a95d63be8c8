import {
  type ClaimedWebhookEvent,
  CONNECTION_CHANGED_CHANNEL,
  claimDueWebhookEvents,
  erasePreviousAuthTokens,
  failUnconfirmedSends,
  type Listener,
  listenWithReconnect,
  PRUNE_BATCH,
  pruneWebhookEvents,
  type ServiceRole,
  settleWebhookEvents,
  tryLockPruning,
  WEBHOOK_EVENTS_PENDING_CHANNEL,
  type WebhookEventSettlement,
} from '@app/db';
import type { FastifyBaseLogger } from 'fastify';
import type postgres from 'postgres';
import { PREVIOUS_TOKEN_GRACE_MS, PREVIOUS_TOKEN_SETTLE_MS } from '../connections/token-rotation.ts';
import {
  type ApplyOptions,
  type ApplyResult,
  applyInboundMessages,
  applyWebhookEvent,
} from './apply-event.ts';

export interface WebhookWorkerOptions {
  /** false: tests drive `runOnce()` themselves. */
  enabled: boolean;
  /**
   * Run the worker in a worker thread of its own, on its own service-role pool to
   * this database (`pnpm start` does): its batches then never hold up the intake's
   * event loop. Without it the worker runs on the server's event loop (tests).
   */
  thread?: { databaseUrl: string };
  /** Events claimed per transaction. */
  batchSize?: number;
  /**
   * Under a stream of deliveries, how long the worker waits after a partial batch
   * before claiming again, so that many notifications become one larger batch
   * (one transaction, one WAL flush) instead of many small ones that compete with
   * the intake for the database and the CPU. The first wake after a quiet spell
   * runs at once; 0 claims on every wake.
   */
  coalesceMs?: number;
  /** Fallback poll when no NOTIFY arrives (a missed one, or events whose retry time came). */
  pollIntervalMs?: number;
  /** Attempts before an event that keeps failing is marked 'failed'. */
  maxAttempts?: number;
  /** How long a status callback for an unknown MessageSid waits for its message. */
  unknownSidGraceMs?: number;
  /**
   * A SID-less queued send is adopted by a status callback only once it is older
   * than this (well past the Twilio adapter's 10 s timeout): a younger one may
   * still be waiting for Twilio's answer with its own SID.
   */
  adoptSendsOlderThanMs?: number;
  /** Pruning: processed events older than this are deleted. */
  retainProcessedMs?: number;
  /** Pruning: failed events older than this are deleted. */
  retainFailedMs?: number;
  pruneIntervalMs?: number;
}

/** The worker's own settings (what a worker thread is started with). */
export type WorkerTuning = Omit<WebhookWorkerOptions, 'enabled' | 'thread'>;

type Outcome = { result: ApplyResult } | { error: unknown };
export type WorkerOutcome = 'processed' | 'deferred' | 'retried' | 'failed';

/** What one batch did, for the metrics (webhook-metrics.ts's workerMetrics records it). */
export interface WorkerBatchReport {
  outcomes: WorkerOutcome[];
  /** Seconds from intake to processing of each processed event. */
  lagSeconds: number[];
}

/** The logger's methods the worker uses (a worker thread forwards them to the server's logger). */
export type WorkerLog = Pick<FastifyBaseLogger, 'info' | 'warn'>;

const DAY = 24 * 60 * 60 * 1000;

/** Exponential backoff for failures: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function failureBackoffMs(attempts: number): number {
  return Math.min(5 * 60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Applies stored webhook events to twilio_whatsapp_messages. Woken by the intake's
 * NOTIFY, polled as a fallback, and coalescing wakes under load (options above).
 * Each batch is claimed FOR UPDATE SKIP LOCKED (any number of processes may run
 * one), applied in a savepoint (one event per savepoint if the batch fails) and
 * settled in the same transaction: an event is applied and marked processed
 * together, or not at all. Failures retry with backoff until maxAttempts. Pruning
 * runs in one process at a time and never deletes pending events; the same hourly
 * pass erases previous Auth Tokens whose grace period is over.
 */
export class WebhookWorker {
  private readonly batchSize: number;
  private readonly coalesceMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly unknownSidGraceMs: number;
  private readonly adoptSendsOlderThanMs: number;
  private readonly retainProcessedMs: number;
  private readonly retainFailedMs: number;
  private readonly pruneIntervalMs: number;
  private running: Promise<void> | undefined;
  private wakeAgain = false;
  /** When the last run ended (ms since epoch); a wake within coalesceMs of it waits. */
  private lastRunEndedAt = 0;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private pollTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private listener: Listener | undefined;

  constructor(
    private readonly serviceRole: ServiceRole,
    /** Called after each batch that claimed something (metrics). */
    private readonly report: (batch: WorkerBatchReport) => void,
    private readonly log: WorkerLog,
    options: WorkerTuning = {},
  ) {
    this.batchSize = options.batchSize ?? 1_000;
    this.coalesceMs = options.coalesceMs ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.unknownSidGraceMs = options.unknownSidGraceMs ?? 60_000;
    this.adoptSendsOlderThanMs = options.adoptSendsOlderThanMs ?? 30_000;
    this.retainProcessedMs = options.retainProcessedMs ?? 30 * DAY;
    this.retainFailedMs = options.retainFailedMs ?? 90 * DAY;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 60 * 60_000;
  }

  /** Starts listening, polling and pruning. */
  async start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.listener = listenWithReconnect(
      this.serviceRole.sql,
      WEBHOOK_EVENTS_PENDING_CHANNEL,
      { onNotify: () => this.wake(), onListening: () => this.wake() },
      // Database down at start or later: retry at the poll's pace; the poll covers the meantime.
      { retryMs: this.pollIntervalMs },
    );
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.pruneTimer = setInterval(
      () => void this.prune().catch((err) => this.log.warn({ err }, 'prune failed')),
      this.pruneIntervalMs,
    );
    this.pruneTimer.unref();
    // The first run starts once LISTEN is up (onListening), so that nothing stored
    // between that run and LISTEN is missed; a second wake at start would have
    // found the first run going and queued a coalesced second one. If LISTEN cannot
    // connect, the poll runs it.
  }

  /** Stops taking new batches and waits for the current one to finish. */
  async stop() {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    await this.listener?.close();
    this.listener = undefined;
    await this.running;
  }

  /**
   * Runs batches until no due event is left (or stopped). Wakes that arrive while a
   * run is going, or within coalesceMs after one ended, are gathered into the next
   * run, which starts coalesceMs after the previous one ended (full batches follow
   * each other at once: a backlog drains without pauses).
   */
  wake() {
    if (this.stopped) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    if (this.coalesceTimer) return;
    const wait = this.lastRunEndedAt + this.coalesceMs - Date.now();
    if (wait > 0) {
      this.coalesceTimer = setTimeout(() => {
        this.coalesceTimer = undefined;
        this.wake();
      }, wait);
      return;
    }
    this.running = this.runUntilIdle();
  }

  private async runUntilIdle() {
    try {
      do {
        this.wakeAgain = false;
        while (!this.stopped && (await this.runOnce()) === this.batchSize) {}
        if (this.wakeAgain && this.coalesceMs > 0 && !this.stopped) {
          await new Promise((resolve) => setTimeout(resolve, this.coalesceMs));
        }
      } while (this.wakeAgain && !this.stopped);
    } catch (err) {
      // Database down: the poll tries again.
      this.log.warn({ err }, 'webhook worker: batch failed');
    } finally {
      this.lastRunEndedAt = Date.now();
      this.running = undefined;
    }
  }

  /** Claims one batch of due events, applies and settles them; returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { settled, lags } = await this.serviceRole.transaction(async (tx) => {
      const events = await claimDueWebhookEvents(tx, this.batchSize);
      if (events.length === 0) return { settled: [], lags: [] };
      const now = Date.now();
      const outcomes = await this.applyBatch(tx, events, now);
      const settled = events.map((e, i) => this.settlement(e, outcomes[i]!, now));
      return { settled, lags: await settleWebhookEvents(tx, settled) };
    });
    if (settled.length > 0) this.report({ outcomes: settled.map(workerOutcome), lagSeconds: lags });
    return settled.length;
  }

  /**
   * The whole batch in one savepoint (inbound messages in one multi-row insert,
   * status callbacks as pipelined statements); if anything in it fails, one event
   * per savepoint, so one bad event does not hold back the others.
   */
  private async applyBatch(
    tx: postgres.TransactionSql,
    events: ClaimedWebhookEvent[],
    now: number,
  ): Promise<Outcome[]> {
    const options: ApplyOptions = {
      unknownSidGraceMs: this.unknownSidGraceMs,
      adoptSendsOlderThanMs: this.adoptSendsOlderThanMs,
      now,
    };
    try {
      return await tx.savepoint(async (sp) => {
        const callbacks = events.filter((e) => e.eventType !== 'message');
        const [, statuses] = await Promise.all([
          applyInboundMessages(
            sp,
            events.filter((e) => e.eventType === 'message'),
          ),
          Promise.all(callbacks.map((e) => applyWebhookEvent(sp, e, options))),
        ]);
        const byEvent = new Map(callbacks.map((e, i) => [e, statuses[i]!]));
        return events.map((e) => ({ result: byEvent.get(e) ?? 'applied' }));
      });
    } catch {
      const outcomes: Outcome[] = [];
      for (const e of events) {
        try {
          outcomes.push({ result: await tx.savepoint((sp) => applyWebhookEvent(sp, e, options)) });
        } catch (error) {
          outcomes.push({ error });
        }
      }
      return outcomes;
    }
  }

  /** How an event leaves this batch: processed, waiting for its message, retried later, or failed. */
  private settlement(event: ClaimedWebhookEvent, outcome: Outcome, now: number): WebhookEventSettlement {
    if ('result' in outcome) {
      if (outcome.result === 'applied') {
        return { id: event.id, status: 'processed', delayMs: 0, attemptsAdded: 1, error: null };
      }
      // Waiting for our own send to store the SID: not a failure, so attempts stay;
      // the wait grows with the event's age (0.25 s … 10 s).
      const delayMs = Math.min(10_000, Math.max(250, Math.floor((now - event.createdMs) / 4)));
      return {
        id: event.id,
        status: 'pending',
        delayMs,
        attemptsAdded: 0,
        error: 'waiting for the message to be known',
      };
    }
    const attempts = event.attempts + 1;
    const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    if (attempts >= this.maxAttempts) {
      return { id: event.id, status: 'failed', delayMs: 0, attemptsAdded: 1, error };
    }
    return { id: event.id, status: 'pending', delayMs: failureBackoffMs(attempts), attemptsAdded: 1, error };
  }

  /**
   * Gives up on sends Twilio never confirmed (failUnconfirmedSends), then deletes
   * old processed and failed events, in batches; one process at a time (a
   * transaction-level advisory lock). Returns how many events were deleted.
   */
  async prune(): Promise<number> {
    const gaveUp = await this.serviceRole.transaction(async (tx) =>
      (await tryLockPruning(tx)) ? failUnconfirmedSends(tx) : 0,
    );
    if (gaveUp > 0)
      this.log.info({ count: gaveUp }, 'outbound messages Twilio never confirmed marked failed');
    const erased = await this.erasePreviousAuthTokens();
    if (erased.length > 0)
      this.log.info(
        { connectionIds: erased },
        'previous Auth Tokens erased (grace over, or Twilio signs with the new one)',
      );
    const retain = { processedMs: this.retainProcessedMs, failedMs: this.retainFailedMs };
    let total = 0;
    for (;;) {
      const deleted = await this.serviceRole.transaction(async (tx) =>
        (await tryLockPruning(tx)) ? pruneWebhookEvents(tx, retain) : 0,
      );
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }

  /**
   * Erases the Auth Tokens updates replaced, once their grace period is over or Twilio
   * has moved to the new token (erasePreviousAuthTokens); caches drop them at commit.
   */
  erasePreviousAuthTokens(): Promise<string[]> {
    return this.serviceRole.transaction(async (tx) =>
      (await tryLockPruning(tx))
        ? erasePreviousAuthTokens(tx, {
            channel: CONNECTION_CHANGED_CHANNEL,
            graceMs: PREVIOUS_TOKEN_GRACE_MS,
            settleMs: PREVIOUS_TOKEN_SETTLE_MS,
          })
        : [],
    );
  }
}

function workerOutcome(s: WebhookEventSettlement): WorkerOutcome {
  if (s.status === 'processed' || s.status === 'failed') return s.status;
  return s.attemptsAdded > 0 ? 'retried' : 'deferred';
}
