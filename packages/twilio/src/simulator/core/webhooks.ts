import { randomUUID } from 'node:crypto';
import { computeTwilioSignature } from '../../signature.ts';
import type { FailureClass, RetryPolicyName } from './connection-overrides.ts';
import { retryEverythingPlan, twilioConnectionPlan } from './connection-overrides.ts';
import type { PostResult } from './http-post.ts';
import { postOnce } from './http-post.ts';

/** The simulator's own retry settings: the whole policy under `retryPolicy: 'all'`. */
export interface RetryPolicy {
  /** Attempts in total, the first included (`all` only). */
  attempts: number;
  /** Wait before the n-th retry: backoffMs * 2^(n-1). */
  backoffMs: number;
  /** Per attempt (`all` only; Twilio's policy has its connect and read timeouts). */
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

/** Which policy, and the simulator's own retry settings (used by `all`, and its pause between attempts). */
export interface DeliverySettings {
  retryPolicy: RetryPolicyName;
  retry: RetryPolicy;
}

/** The URL without its fragment: Twilio never sends the fragment, so the signature cannot cover it. */
export function webhookRequestUrl(configuredUrl: string): string {
  const hash = configuredUrl.indexOf('#');
  return hash === -1 ? configuredUrl : configuredUrl.slice(0, hash);
}

function failureOf(result: PostResult): FailureClass | undefined {
  if ('failure' in result) return result.failure;
  if (result.status >= 200 && result.status < 300) return undefined;
  if (result.status >= 400 && result.status < 500) return '4xx';
  if (result.status >= 500 && result.status < 600) return '5xx';
  return 'other';
}

/**
 * Posts one signed, form-encoded webhook the way Twilio does: by default one
 * retry, on a failed connection only, with the URL fragment's overrides; or,
 * with `retryPolicy: 'all'`, every failure retried `retry.attempts` times.
 */
export async function sendWebhook(
  delivery: WebhookDelivery,
  authToken: string,
  settings: DeliverySettings,
): Promise<WebhookDelivery> {
  const plan =
    settings.retryPolicy === 'all'
      ? retryEverythingPlan(delivery.url, settings.retry)
      : twilioConnectionPlan(delivery.url);
  const body = new URLSearchParams(delivery.params).toString();
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    // Twilio does not document whether a URL fragment is signed; it is never sent, so it is left out here
    // too, and the product must not depend on it either way.
    'x-twilio-signature': computeTwilioSignature(authToken, plan.url, delivery.params),
    'i-twilio-idempotency-token': delivery.idempotencyToken,
    'user-agent': 'TwilioProxy/1.1',
  };
  const deadline = Date.now() + plan.totalTimeoutMs;
  for (let attempt = 0; attempt <= plan.retryCount; attempt++) {
    const left = deadline - Date.now();
    const at = new Date().toISOString();
    const result = await postOnce(plan.url, headers, body, {
      connectTimeoutMs: Math.min(plan.connectTimeoutMs, left),
      readTimeoutMs: Math.min(plan.readTimeoutMs, left),
    });
    delivery.attempts.push('status' in result ? { at, status: result.status } : { at, error: result.error });
    const failure = failureOf(result);
    if (failure === undefined) {
      delivery.outcome = 'delivered';
      return delivery;
    }
    if (!plan.retryOn.has(failure) || attempt === plan.retryCount) break;
    await sleep(settings.retry.backoffMs * 2 ** attempt);
    if (Date.now() >= deadline) break;
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
    signature: computeTwilioSignature(fields.authToken, webhookRequestUrl(fields.url), fields.params),
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
  readonly #settings: () => DeliverySettings;

  /** `settings` is read at each send, so a changed policy applies to the next webhook. */
  constructor(settings: () => DeliverySettings) {
    this.#settings = settings;
  }

  /** Records the delivery and sends it, with retries. */
  async send(delivery: WebhookDelivery, authToken: string): Promise<WebhookDelivery> {
    this.#deliveries.push(delivery);
    return sendWebhook(delivery, authToken, this.#settings());
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
