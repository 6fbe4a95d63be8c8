import { randomUUID } from 'node:crypto';
import { computeTwilioSignature } from '../../signature.ts';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  attempts: number;
  /** Wait before the n-th retry: backoffMs * 2^(n-1). */
  backoffMs: number;
  /** Per attempt. */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, backoffMs: 20, timeoutMs: 5_000 };

export interface DeliveryAttempt {
  at: string;
  /** The HTTP status, or undefined when the request did not get an answer. */
  status?: number;
  error?: string;
}

export interface WebhookDelivery {
  id: string;
  kind: 'inbound' | 'status';
  accountSid: string;
  messageSid: string;
  url: string;
  params: Record<string, string>;
  signature: string;
  /** Twilio's `I-Twilio-Idempotency-Token`: the same on retries and duplicates of one event. */
  idempotencyToken: string;
  attempts: DeliveryAttempt[];
  outcome: 'pending' | 'delivered' | 'failed';
}

/**
 * Posts one signed, form-encoded webhook the way Twilio does, retrying on a
 * non-2xx answer or a network error.
 */
export async function sendWebhook(
  delivery: WebhookDelivery,
  authToken: string,
  retry: RetryPolicy,
): Promise<WebhookDelivery> {
  const body = new URLSearchParams(delivery.params).toString();
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    const at = new Date().toISOString();
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature(authToken, delivery.url, delivery.params),
          'i-twilio-idempotency-token': delivery.idempotencyToken,
          'user-agent': 'TwilioProxy/1.1',
        },
        body,
        signal: AbortSignal.timeout(retry.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.attempts.push({ at, status: response.status });
      if (response.ok) {
        delivery.outcome = 'delivered';
        return delivery;
      }
    } catch (error) {
      delivery.attempts.push({ at, error: error instanceof Error ? error.message : String(error) });
    }
    if (attempt < retry.attempts) await sleep(retry.backoffMs * 2 ** (attempt - 1));
  }
  delivery.outcome = 'failed';
  return delivery;
}

export function newDelivery(
  fields: Pick<WebhookDelivery, 'kind' | 'accountSid' | 'messageSid' | 'url' | 'params'> & {
    authToken: string;
    idempotencyToken?: string;
  },
): WebhookDelivery {
  return {
    id: randomUUID(),
    kind: fields.kind,
    accountSid: fields.accountSid,
    messageSid: fields.messageSid,
    url: fields.url,
    params: fields.params,
    signature: computeTwilioSignature(fields.authToken, fields.url, fields.params),
    idempotencyToken: fields.idempotencyToken ?? `${fields.accountSid}-${randomUUID()}`,
    attempts: [],
    outcome: 'pending',
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface DeliveryFilter {
  accountSid?: string;
  messageSid?: string;
  kind?: 'inbound' | 'status';
}

/** Every webhook sent, and the work still under way (deliveries, status steps). */
export class WebhookOutbox {
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #retry: () => RetryPolicy;

  /** `retry` is read at each send, so a changed policy applies to the next webhook. */
  constructor(retry: () => RetryPolicy) {
    this.#retry = retry;
  }

  /** Records the delivery and sends it, with retries. */
  async send(delivery: WebhookDelivery, authToken: string): Promise<WebhookDelivery> {
    this.#deliveries.push(delivery);
    return sendWebhook(delivery, authToken, this.#retry());
  }

  deliveries(filter: DeliveryFilter = {}): WebhookDelivery[] {
    return this.#deliveries.filter(
      (d) =>
        (filter.accountSid === undefined || d.accountSid === filter.accountSid) &&
        (filter.messageSid === undefined || d.messageSid === filter.messageSid) &&
        (filter.kind === undefined || d.kind === filter.kind),
    );
  }

  /** Keeps `work` in the set `waitForIdle` waits for. */
  track<T>(work: Promise<T>) {
    const tracked = work.finally(() => this.#pending.delete(tracked));
    // Failures surface to whoever awaits `work`; the tracker only needs completion.
    tracked.catch(() => undefined);
    this.#pending.add(tracked);
  }

  /** Resolves when every webhook delivery and status step under way has finished. */
  async waitForIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  clear() {
    this.#deliveries.length = 0;
  }
}
