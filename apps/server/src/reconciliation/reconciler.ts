import { type SyncConnectionResult, whatsappAddress } from '@app/contracts';
import {
  claimUnfinishedOutboundMessages,
  findReconciliationConnection,
  insertWebhookEvents,
  isMessageStatus,
  listConnectionIdsForReconciliation,
  messageStatusesAhead,
  type NewWebhookEvent,
  type ReconciliationConnection,
  releaseReconciliationLease,
  renewReconciliationLease,
  type ServiceRole,
  storedMessageSids,
  takeReconciliationLease,
} from '@app/db';
import {
  type TwilioAdapter,
  TwilioAdapterError,
  type TwilioCredentials,
  type TwilioMessage,
} from '@app/twilio';
import type { FastifyBaseLogger } from 'fastify';
import { ConnectionNotFoundError } from '../connections/errors.ts';
import { credentialsOf } from '../connections/stored-token.ts';
import { asTwilioRefusal } from '../connections/twilio-errors.ts';
import type { CredentialVault } from '../vault/credential-vault.ts';
import { ReconciliationBusyError } from './errors.ts';
import { recoveredMessageEvent, recoveredStatusEvent } from './recovered-events.ts';

/** Why a reconciliation ran (logged with its counts). */
export type ReconciliationTrigger =
  | 'startup'
  | 'after_outage'
  | 'reactivated'
  | 'credentials_changed'
  | 'on_demand';

export interface ReconciliationOptions {
  /** Reconcile every connection once the server listens; default true. */
  atStartup?: boolean;
  /** How often unfinished outbound statuses are looked up; default 60 s. 0: never. */
  unfinishedCheckEveryMs?: number;
  /** An outbound status is looked up after this long without news; default 3 min. */
  unfinishedQuietMs?: number;
  /** After the intake answered 503, how often the database is probed until it answers; default 2 s. */
  afterOutageProbeMs?: number;
}

export interface ReconcilerDeps {
  serviceRole: ServiceRole;
  twilio: TwilioAdapter;
  vault: CredentialVault;
  log: FastifyBaseLogger;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far back a reconciliation reads at most (Twilio keeps more; a week bounds the work). */
export const MAX_WINDOW_MS = 7 * DAY;
/**
 * Each window starts this much before the last one ended: a message whose
 * date_sent is a moment before our clock's end (clocks differ) is read twice
 * rather than never. Reading twice stores nothing twice.
 */
export const WINDOW_OVERLAP_MS = 2 * MINUTE;
/** A run holds its lease this long, renewed after each step; a dead process's lease runs out. */
const LEASE_MS = 5 * MINUTE;
/** Unfinished outbound statuses are looked up for this long after their last change. */
const UNFINISHED_MAX_AGE_MS = 7 * DAY;
const UNFINISHED_BATCH = 100;
/** Events stored per statement. */
const INSERT_BATCH = 500;

/**
 * Reconciliation with Twilio's Messages API. Whatever a webhook did not bring
 * (a 503 during a database outage, a server that was down: Twilio retries once,
 * on connection failure only; "Webhooks (HTTP callbacks): Connection Overrides",
 * https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides) is read back from Twilio and stored as the event
 * a webhook would have stored, under the same idempotency key and through the
 * same worker: a message recovered and also delivered is stored once, and a
 * recovered status never moves a status backwards.
 *
 * One run per connection at a time across processes (a lease in the database,
 * never a transaction held across a Twilio call). Background runs go one at a
 * time, and log one line with their counts.
 */
export class Reconciler {
  private readonly queue = new Map<string, ReconciliationTrigger>();
  private draining: Promise<void> | undefined;
  private unfinishedTimer: NodeJS.Timeout | undefined;
  private outageProbe: NodeJS.Timeout | undefined;
  private probing = false;
  private unfinishedRun: Promise<unknown> | undefined;
  private stopped = false;
  private readonly options: Required<ReconciliationOptions>;

  constructor(
    private readonly deps: ReconcilerDeps,
    options: ReconciliationOptions = {},
  ) {
    this.options = {
      atStartup: options.atStartup ?? true,
      unfinishedCheckEveryMs: options.unfinishedCheckEveryMs ?? MINUTE,
      unfinishedQuietMs: options.unfinishedQuietMs ?? 3 * MINUTE,
      afterOutageProbeMs: options.afterOutageProbeMs ?? 2_000,
    };
  }

  /**
   * Reconciles one connection now. ConnectionNotFoundError when it does not exist;
   * ReconciliationBusyError while another run holds it; a Twilio failure as a
   * TwilioRefusalError (nothing recorded: the next run reads the same window again).
   */
  async reconcileConnection(connectionId: string): Promise<SyncConnectionResult> {
    const { serviceRole } = this.deps;
    const taken = await serviceRole.run((on) => takeReconciliationLease(on, connectionId, LEASE_MS));
    if (taken === 'missing') throw new ConnectionNotFoundError();
    if (taken === 'busy') throw new ReconciliationBusyError();
    let lease = taken.lease;
    const renew = async () => {
      const renewed = await serviceRole.run((on) =>
        renewReconciliationLease(on, connectionId, lease, LEASE_MS),
      );
      // Our lease ran out and another run took over: stop, it reads the same window.
      if (renewed === undefined) throw new ReconciliationBusyError();
      lease = renewed;
    };

    const toMs = taken.nowMs;
    const sinceMs = (taken.lastReconciledMs ?? taken.createdMs) - WINDOW_OVERLAP_MS;
    const fromMs = Math.max(sinceMs, toMs - MAX_WINDOW_MS);
    let completed = false;
    try {
      const credentials = credentialsOf(this.deps, taken);
      const since = new Date(fromMs);
      const toUs: TwilioMessage[] = [];
      const fromUs: TwilioMessage[] = [];
      // No DateSent< bound: Twilio documents the DateSent filters by day ("DateSent<=YYYY-MM-DD":
      // https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources),
      // and a bound at "now" could cut today's messages; a later message read now is stored once too.
      // For the same reason DateSent> may bring the whole first day: those are stored once as well.
      // The list filters by To and From only (no MessagingServiceSid): each sender is read on
      // its own, two reads (and their pages) per sender.
      for (const number of await this.sendersOf(taken, credentials)) {
        const address = whatsappAddress(number);
        await this.twilioCall(async () => {
          toUs.push(
            ...(await this.deps.twilio.listMessages(credentials, { to: address, dateSentAfter: since })),
          );
          fromUs.push(
            ...(await this.deps.twilio.listMessages(credentials, { from: address, dateSentAfter: since })),
          );
        });
        await renew();
      }
      const result = await this.storeRecovered(taken, credentials, toUs, fromUs, renew);
      completed = true;
      return {
        ...result,
        checkedFrom: new Date(fromMs).toISOString(),
        checkedTo: new Date(toMs).toISOString(),
      };
    } finally {
      await serviceRole
        .run((on) => releaseReconciliationLease(on, connectionId, lease, completed ? toMs : null))
        .catch((error: unknown) => {
          // The lease runs out by itself; the next run reads the window again.
          this.deps.log.warn({ connectionId, err: error }, 'reconciliation: could not release its lease');
        });
    }
  }

  /**
   * The WhatsApp numbers whose history is read, each once: the connection's number; for a
   * Messaging Service, every WhatsApp sender of its pool: a send naming the service gets
   * "automatic number selection" ("Getting started with Messaging Services",
   * https://help.twilio.com/articles/223181308-Getting-started-with-Messaging-Services), so
   * any of them may be a message's From, and inbound to any of them comes to the service's
   * InboundRequestUrl (https://www.twilio.com/docs/messaging/api/service-resource). The pool is asked of Twilio now (a sender
   * added since the connect counts), joined with the senders stored at the last connect or
   * verify (one removed since may still have messages in the window). Only the pool's lists
   * are read, not the service itself (its settings are no concern here): two requests, a
   * third only when the pool holds a phone number not stored. A service Twilio no longer
   * has, or whose senders cannot be told, leaves the stored ones.
   */
  private async sendersOf(
    connection: ReconciliationConnection,
    credentials: TwilioCredentials,
  ): Promise<string[]> {
    const numbers = new Set([connection.whatsappNumber, ...(connection.messagingServiceSenders ?? [])]);
    const serviceSid = connection.messagingServiceSid;
    if (serviceSid) {
      try {
        const pool = await this.deps.twilio.listServiceWhatsappNumbers(credentials, serviceSid, [...numbers]);
        for (const number of pool) numbers.add(number);
      } catch (error) {
        const gone =
          error instanceof TwilioAdapterError &&
          (error.kind === 'not_found' || error.kind === 'number_not_found');
        if (!gone) throw asTwilioRefusal(error, 'sync');
        this.deps.log.warn(
          { connectionId: connection.id, reason: errorMessage(error) },
          "reconciliation: the Messaging Service's senders could not be listed; reading the stored ones",
        );
      }
    }
    return [...numbers];
  }

  /** Stores what Twilio has and we lack: inbound messages (with media), and newer outbound statuses. */
  private async storeRecovered(
    connection: ReconciliationConnection,
    credentials: TwilioCredentials,
    toUs: TwilioMessage[],
    fromUs: TwilioMessage[],
    renew: () => Promise<void>,
  ): Promise<{ inboundRecovered: number; statusesUpdated: number }> {
    // A message between two senders of one service is read from both sides: once is enough.
    const inbound = uniqueBySid(toUs.filter((m) => m.direction === 'inbound'));
    const outbound = uniqueBySid(fromUs).flatMap((m) =>
      m.direction.startsWith('outbound') && isMessageStatus(m.status) ? [{ ...m, status: m.status }] : [],
    );
    // What the messages table holds already needs no event (the webhook's may be pruned
    // by now), and a status at or behind the stored one is no news.
    const { stored, ahead } = await this.deps.serviceRole.run(async (on) => ({
      stored: await storedMessageSids(
        on,
        connection.id,
        inbound.map((m) => m.sid),
      ),
      ahead: await messageStatusesAhead(
        on,
        connection.id,
        outbound.map((m) => ({ messageSid: m.sid, status: m.status })),
      ),
    }));

    const events: NewWebhookEvent[] = [];
    for (const message of inbound) {
      if (stored.has(message.sid)) continue;
      const media =
        message.numMedia > 0
          ? await this.twilioCall(() => this.deps.twilio.listMedia(credentials, message.sid))
          : [];
      events.push(recoveredMessageEvent(connection.id, message, media));
    }
    for (const message of outbound) {
      if (ahead.has(message.sid)) events.push(recoveredStatusEvent(connection.id, message));
    }
    if (inbound.some((m) => m.numMedia > 0)) await renew();

    const created = await this.storeEvents(events);
    return {
      inboundRecovered: created.filter((e) => e.eventType === 'message').length,
      statusesUpdated: created.filter((e) => e.eventType === 'status').length,
    };
  }

  /** Stores events as 'reconciliation' (same statement and keys as the intake); returns those that were new. */
  private async storeEvents(events: readonly NewWebhookEvent[]): Promise<NewWebhookEvent[]> {
    const created: NewWebhookEvent[] = [];
    for (let i = 0; i < events.length; i += INSERT_BATCH) {
      const batch = events.slice(i, i + INSERT_BATCH);
      const keys = await this.deps.serviceRole.run((on) => insertWebhookEvents(on, batch, 'reconciliation'));
      const isNew = new Set(keys.map((k) => `${k.connectionId} ${k.idempotencyKey}`));
      created.push(...batch.filter((e) => isNew.has(`${e.connectionId} ${e.idempotencyKey}`)));
    }
    return created;
  }

  /**
   * Outbound messages without a status change for a few minutes (a status
   * callback may have been lost): each fetched by SID, its current status stored
   * as a status event when it is news. Returns how many were.
   */
  async checkUnfinishedOutbound(quietMs = this.options.unfinishedQuietMs): Promise<number> {
    const due = await this.deps.serviceRole.run((on) =>
      claimUnfinishedOutboundMessages(on, {
        quietMs,
        maxAgeMs: UNFINISHED_MAX_AGE_MS,
        limit: UNFINISHED_BATCH,
      }),
    );
    const events: NewWebhookEvent[] = [];
    const byConnection = new Map<string, typeof due>();
    for (const m of due) byConnection.set(m.connectionId, [...(byConnection.get(m.connectionId) ?? []), m]);
    for (const [connectionId, messages] of byConnection) {
      const connection = await this.deps.serviceRole.run((on) =>
        findReconciliationConnection(on, connectionId),
      );
      if (!connection) continue;
      let credentials: TwilioCredentials;
      try {
        credentials = credentialsOf(this.deps, connection);
      } catch (error) {
        this.deps.log.warn({ connectionId, err: error }, 'status check: the stored token cannot be read');
        continue;
      }
      for (const stored of messages) {
        let current: TwilioMessage;
        try {
          current = await this.deps.twilio.fetchMessage(credentials, stored.messageSid);
        } catch (error) {
          if (error instanceof TwilioAdapterError && error.kind === 'not_found') continue;
          this.deps.log.warn(
            { connectionId, messageSid: stored.messageSid, reason: errorMessage(error) },
            'status check: Twilio did not answer; trying again later',
          );
          break;
        }
        if (isMessageStatus(current.status) && current.status !== stored.status)
          events.push(recoveredStatusEvent(connectionId, current));
        // (The worker moves statuses forward only: one behind the stored one changes nothing.)
      }
    }
    const created = await this.storeEvents(events);
    if (due.length > 0)
      this.deps.log.info(
        { checked: due.length, statusesUpdated: created.length },
        'status check: unfinished outbound messages looked up at Twilio',
      );
    return created.length;
  }

  /** Queues a background reconciliation of one connection (one run at a time; a queued one is not queued twice). */
  schedule(connectionId: string, trigger: ReconciliationTrigger): void {
    if (this.stopped) return;
    if (!this.queue.has(connectionId)) this.queue.set(connectionId, trigger);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Queues every connection. */
  async scheduleAll(trigger: ReconciliationTrigger): Promise<void> {
    const ids = await this.deps.serviceRole.run((on) => listConnectionIdsForReconciliation(on));
    for (const id of ids) this.schedule(id, trigger);
  }

  /**
   * The webhook intake answered 503 (database unavailable). Twilio will not send
   * that delivery again, so once the database answers again (probed every
   * `afterOutageProbeMs`) every connection is reconciled, once: further 503s while
   * probing change nothing.
   */
  deliveriesRefused(): void {
    if (this.stopped || this.outageProbe) return;
    this.outageProbe = setInterval(() => {
      if (this.probing) return;
      this.probing = true;
      this.deps.serviceRole
        .run((on) => listConnectionIdsForReconciliation(on))
        .then(
          (ids) => {
            clearInterval(this.outageProbe);
            this.outageProbe = undefined;
            if (ids.length > 0) this.deps.log.info({ connections: ids.length }, 'database back: reconciling');
            for (const id of ids) this.schedule(id, 'after_outage');
          },
          () => {
            // Still down: the next probe asks again.
          },
        )
        .finally(() => {
          this.probing = false;
        });
    }, this.options.afterOutageProbeMs);
    this.outageProbe.unref();
  }

  /** Once the server listens: every connection in the background, then the periodic status check. */
  start(): void {
    if (this.options.atStartup) {
      // Outbound statuses older than the window are the periodic check's (below).
      this.scheduleAll('startup').catch((error: unknown) => {
        this.deps.log.warn({ err: error }, 'reconciliation at startup could not start');
      });
    }
    const every = this.options.unfinishedCheckEveryMs;
    if (every > 0) {
      this.unfinishedTimer = setInterval(() => {
        if (this.unfinishedRun) return;
        this.unfinishedRun = this.checkUnfinishedOutbound()
          .catch((error: unknown) => {
            this.deps.log.warn({ err: error }, 'status check failed; trying again later');
          })
          .finally(() => {
            this.unfinishedRun = undefined;
          });
      }, every);
      this.unfinishedTimer.unref();
    }
  }

  /** Stops the timers and the queue; waits for the run in progress (its lease is released). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.clear();
    clearInterval(this.unfinishedTimer);
    clearInterval(this.outageProbe);
    await Promise.allSettled([this.draining, this.unfinishedRun]);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.queue.entries().next();
      if (next.done || this.stopped) return;
      const [connectionId, trigger] = next.value;
      this.queue.delete(connectionId);
      try {
        const result = await this.reconcileConnection(connectionId);
        this.deps.log.info({ connectionId, trigger, ...result }, 'reconciled with Twilio');
      } catch (error) {
        if (error instanceof ReconciliationBusyError || error instanceof ConnectionNotFoundError) continue;
        // Adapter and domain messages never carry a token; a stack would add nothing here.
        this.deps.log.warn(
          { connectionId, trigger, reason: errorMessage(error) },
          'reconciliation with Twilio failed; the next one reads the same window again',
        );
      }
    }
  }

  private async twilioCall<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw asTwilioRefusal(error, 'sync');
    }
  }
}

function uniqueBySid(messages: readonly TwilioMessage[]): TwilioMessage[] {
  return [...new Map(messages.map((m) => [m.sid, m])).values()];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
