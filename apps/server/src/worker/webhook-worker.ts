import type { FastifyBaseLogger } from 'fastify';
import type postgres from 'postgres';
import type { Metrics } from '../observability/metrics.ts';
import { WEBHOOK_EVENTS_PENDING_CHANNEL } from '../webhooks/event-batcher.ts';
import { asServiceRole, serviceRoleTransaction } from '../webhooks/service-role-pool.ts';
import {
  type ApplyResult,
  applyWebhookEvent,
  type ClaimedEvent,
  insertInboundMessages,
} from './apply-event.ts';

export interface WebhookWorkerOptions {
  /** false: tests drive `runOnce()` themselves. */
  enabled: boolean;
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
   * than this (default 30 s, well past the Twilio adapter's 10 s timeout): a
   * younger one may still be waiting for Twilio's answer with its own SID.
   */
  adoptSendsOlderThanMs?: number;
  /** Pruning: processed events older than this are deleted. */
  retainProcessedMs?: number;
  /** Pruning: failed events older than this are deleted. */
  retainFailedMs?: number;
  pruneIntervalMs?: number;
}

interface Settled {
  id: string;
  status: 'processed' | 'pending' | 'failed';
  delayMs: number;
  attemptsAdded: number;
  error: string | null;
}

const DAY = 24 * 60 * 60 * 1000;
/** Arbitrary constant: the advisory lock that lets one process prune at a time. */
const PRUNE_LOCK = 7_310_442_001;

/** Exponential backoff for failures: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function failureBackoffMs(attempts: number): number {
  return Math.min(5 * 60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Applies stored webhook events to twilio_whatsapp_messages.
 *
 * Schedule: woken by NOTIFY on WEBHOOK_EVENTS_PENDING_CHANNEL (the intake sends one
 * per committed batch), polled every second as a fallback (missed notifications,
 * retries coming due). A lone delivery is applied at once; under a stream of them
 * the worker claims at most every 200 ms (coalesceMs), up to 1,000 events per
 * transaction, so a burst costs the database a few large transactions rather than
 * one per intake batch. Failures retry after 1 s, 2 s, 4 s … (capped at 5 min) and
 * are marked 'failed' with their error after 8 attempts. A status callback for a
 * MessageSid not stored yet waits (0.25–10 s steps) up to 60 s, then records the
 * message from the callback.
 *
 * Pruning: every hour, outbound messages still queued without a SID after an hour
 * are marked failed, and processed events older than 30 days and failed events older
 * than 90 days are deleted, 1,000 rows per statement, by one process at a time
 * (transaction-level advisory lock); pending events are never pruned.
 *
 * Claims due pending events with FOR UPDATE SKIP LOCKED (any number of processes
 * can run this on one database), applies them in a savepoint (one by one, each in
 * its own, if the batch fails), and settles them in the same transaction: an event
 * is applied and marked processed together, or not at all.
 */
export const UNCONFIRMED_SEND_MESSAGE = 'Twilio did not confirm this message; it was probably not sent.';

/**
 * Outbound rows still queued without a SID an hour after they were written: no
 * answer from Twilio and no status callback to adopt them (adoption looks back
 * one hour too), so they would show as queued forever. Marked failed.
 */
async function failUnconfirmedSends(tx: postgres.TransactionSql): Promise<number> {
  const rows = await tx`
    update twilio_whatsapp_messages
    set status = 'failed', error_code = null, error_message = ${UNCONFIRMED_SEND_MESSAGE},
        status_updated_at = now()
    where direction = 'outbound' and status = 'queued' and message_sid is null
      and created_at < now() - interval '1 hour'
  `;
  return rows.count;
}

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
  private unlisten: (() => Promise<void>) | undefined;
  private readonly outcomes;
  private readonly lag;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly runsAsServiceRole: boolean,
    metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    options: Omit<WebhookWorkerOptions, 'enabled'> = {},
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
    this.outcomes = metrics.counter(
      'twilio_webhook_worker_events_total',
      'Webhook events handled by the worker, by outcome (processed, deferred, retried, failed)',
    );
    this.lag = metrics.summary(
      'twilio_webhook_processing_lag_seconds',
      'Seconds from intake (created_at) to processed_at, recent events',
    );
    metrics.gauge('twilio_webhook_events_pending', 'Webhook events waiting to be processed', async () => {
      const [row] = await asServiceRole(
        this.sql,
        this.runsAsServiceRole,
        (sql) => sql<{ n: number }[]>`
          select count(*)::int as n from twilio_whatsapp_webhook_events where status = 'pending'`,
      );
      return [{ value: row?.n ?? 0 }];
    });
  }

  /** Starts listening, polling and pruning. */
  async start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.listen();
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.pruneTimer = setInterval(
      () => void this.prune().catch((err) => this.log.warn({ err }, 'prune failed')),
      this.pruneIntervalMs,
    );
    this.pruneTimer.unref();
    this.wake();
  }

  /** Stops taking new batches and waits for the current one to finish. */
  async stop() {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
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
    this.running = (async () => {
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
    })();
  }

  /** Claims one batch of due events, applies and settles them; returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { rows: settled, lags } = await this.transaction(async (tx) => {
      const events = await tx<ClaimedEvent[]>`
        select id, connection_id, event_type, message_sid, message_status, payload, attempts,
               (extract(epoch from created_at) * 1000)::float8 as created_ms
        from twilio_whatsapp_webhook_events
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${this.batchSize}
        for update skip locked
      `;
      if (events.length === 0) return { rows: [], lags: [] };
      const now = Date.now();
      const options = {
        unknownSidGraceMs: this.unknownSidGraceMs,
        adoptSendsOlderThanMs: this.adoptSendsOlderThanMs,
        now,
      };
      let results: Array<{ result: ApplyResult } | { error: unknown }>;
      try {
        // Fast path: the whole batch in one savepoint: inbound messages in one
        // multi-row insert, status callbacks as pipelined statements.
        results = await tx.savepoint(async (sp) => {
          const inbound = events.filter((e) => e.event_type === 'message');
          const [, statuses] = await Promise.all([
            insertInboundMessages(sp, inbound),
            Promise.all(
              events.filter((e) => e.event_type !== 'message').map((e) => applyWebhookEvent(sp, e, options)),
            ),
          ]);
          let s = 0;
          return events.map((e) => ({
            result: e.event_type === 'message' ? ('applied' as const) : statuses[s++]!,
          }));
        });
      } catch {
        // Something failed: apply one by one, each in its own savepoint, so one bad
        // event does not hold back the others.
        results = [];
        for (const e of events) {
          try {
            results.push({ result: await tx.savepoint((sp) => applyWebhookEvent(sp, e, options)) });
          } catch (error) {
            results.push({ error });
          }
        }
      }
      const rows = events.map((e, i) => this.settle(e, results[i]!, now));
      const lags = await tx<{ lag_s: number }[]>`
        update twilio_whatsapp_webhook_events e
        set status = u.status,
            attempts = e.attempts + u.attempts_added,
            next_attempt_at = case when u.status = 'pending'
              then now() + u.delay_ms * interval '1 millisecond' else e.next_attempt_at end,
            processed_at = case when u.status = 'pending' then null else now() end,
            error_message = u.error
        from unnest(
          ${rows.map((r) => r.id)}::uuid[],
          ${rows.map((r) => r.status)}::text[],
          ${rows.map((r) => r.delayMs)}::int[],
          ${rows.map((r) => r.attemptsAdded)}::int[],
          ${rows.map((r) => r.error)}::text[]
        ) as u(id, status, delay_ms, attempts_added, error)
        where e.id = u.id
        -- The lag as the database sees it (processed_at - created_at), one clock.
        returning case when e.status = 'processed'
          then extract(epoch from e.processed_at - e.created_at)::float8 end as lag_s
      `;
      return { rows, lags };
    });
    for (const r of settled) {
      this.outcomes.inc({
        outcome:
          r.status === 'processed'
            ? 'processed'
            : r.status === 'failed'
              ? 'failed'
              : r.attemptsAdded
                ? 'retried'
                : 'deferred',
      });
    }
    for (const { lag_s } of lags) if (lag_s !== null) this.lag.observe(lag_s);
    return settled.length;
  }

  /**
   * Deletes old processed and failed events, in batches; one process at a time.
   * First gives up on sends Twilio never confirmed (see failUnconfirmedSends).
   */
  async prune(): Promise<number> {
    const gaveUp = await this.transaction(async (tx) => {
      const [lock] = await tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${PRUNE_LOCK}) as ok`;
      return lock?.ok ? failUnconfirmedSends(tx) : 0;
    });
    if (gaveUp > 0)
      this.log.info({ count: gaveUp }, 'outbound messages Twilio never confirmed marked failed');
    let total = 0;
    for (;;) {
      const deleted = await this.transaction(async (tx) => {
        const [lock] = await tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${PRUNE_LOCK}) as ok`;
        if (!lock?.ok) return 0;
        const rows = await tx`
          delete from twilio_whatsapp_webhook_events
          where id in (
            select id from twilio_whatsapp_webhook_events
            where (status = 'processed' and processed_at < now() - ${this.retainProcessedMs} * interval '1 millisecond')
               or (status = 'failed' and processed_at < now() - ${this.retainFailedMs} * interval '1 millisecond')
            limit 1000
          )
        `;
        return rows.count;
      });
      total += deleted;
      if (deleted < 1000) return total;
    }
  }

  private settle(
    event: ClaimedEvent,
    outcome: { result: ApplyResult } | { error: unknown },
    now: number,
  ): Settled {
    const createdAt = event.created_ms;
    if ('result' in outcome) {
      if (outcome.result === 'applied') {
        return { id: event.id, status: 'processed', delayMs: 0, attemptsAdded: 1, error: null };
      }
      // Waiting for our own send to store the SID: not a failure, so attempts stay;
      // the wait grows with the event's age (0.25 s … 10 s).
      const age = now - createdAt;
      const delayMs = Math.min(10_000, Math.max(250, Math.floor(age / 4)));
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
    return {
      id: event.id,
      status: 'pending',
      delayMs: failureBackoffMs(attempts),
      attemptsAdded: 1,
      error,
    };
  }

  private transaction<T>(fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return serviceRoleTransaction(this.sql, this.runsAsServiceRole, fn);
  }

  private async listen() {
    if (this.stopped) return;
    try {
      const { unlisten } = await this.sql.listen(
        WEBHOOK_EVENTS_PENDING_CHANNEL,
        () => this.wake(),
        () => this.wake(),
      );
      this.unlisten = unlisten;
      if (this.stopped) await unlisten();
    } catch {
      // Database down at start: retry; the poll covers the meantime.
      setTimeout(() => void this.listen(), this.pollIntervalMs).unref();
    }
  }
}
