/**
 * How Twilio connects to a webhook URL, and when it tries again. Defaults and
 * limits from Twilio's docs, "Webhooks (HTTP callbacks): Connection Overrides"
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides):
 * a URL fragment `#ct=..&rt=..&tt=..&rc=..&rp=..` overrides them per URL.
 *   ct  connect timeout, ms   100..10000, default 5000
 *   rt  read timeout, ms      100..15000, default 15000
 *   tt  total time, ms        100..15000, default 15000 (all attempts together)
 *   rc  retry count           0..5,       default 1
 *   rp  retry policy          ct, rt, 4xx, 5xx, all; default ct (connection failures only)
 * The fragment is never sent in the request.
 */

/** Why an attempt failed: no connection, no answer in time, or the answer's status class. */
export type FailureClass = 'ct' | 'rt' | '4xx' | '5xx' | 'other';

/** `twilio`: Twilio's documented policy (above). `all`: retry every failure `retry.attempts` times. */
export type RetryPolicyName = 'twilio' | 'all';

export interface ConnectionPlan {
  /** The URL to request and to sign: the configured one without its fragment. */
  url: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  totalTimeoutMs: number;
  retryCount: number;
  retryOn: ReadonlySet<FailureClass>;
}

const limits = {
  ct: { min: 100, max: 10_000, default: 5_000 },
  rt: { min: 100, max: 15_000, default: 15_000 },
  tt: { min: 100, max: 15_000, default: 15_000 },
  rc: { min: 0, max: 5, default: 1 },
} as const;

const everyFailure: ReadonlySet<FailureClass> = new Set(['ct', 'rt', '4xx', '5xx', 'other']);

function numberFrom(fragment: URLSearchParams, key: keyof typeof limits): number {
  const limit = limits[key];
  const raw = fragment.get(key);
  const value = raw === null ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) return limit.default;
  return Math.min(Math.max(Math.round(value), limit.min), limit.max);
}

function retryOnFrom(raw: string | null): ReadonlySet<FailureClass> {
  if (raw === null) return new Set(['ct']);
  const named = raw.split(',').map((v) => v.trim());
  if (named.includes('all')) return everyFailure;
  return new Set(
    named.filter((v): v is FailureClass => v === 'ct' || v === 'rt' || v === '4xx' || v === '5xx'),
  );
}

/** The plan for posting to `configuredUrl` under Twilio's policy and the URL's fragment overrides. */
export function twilioConnectionPlan(configuredUrl: string): ConnectionPlan {
  const [url = configuredUrl, fragment = ''] = splitFragment(configuredUrl);
  const overrides = new URLSearchParams(fragment);
  return {
    url,
    connectTimeoutMs: numberFrom(overrides, 'ct'),
    readTimeoutMs: numberFrom(overrides, 'rt'),
    totalTimeoutMs: numberFrom(overrides, 'tt'),
    retryCount: numberFrom(overrides, 'rc'),
    retryOn: retryOnFrom(overrides.get('rp')),
  };
}

/** The simulator's old policy: every failure retried, `attempts` in all, `timeoutMs` per attempt. */
export function retryEverythingPlan(
  configuredUrl: string,
  retry: { attempts: number; timeoutMs: number },
): ConnectionPlan {
  return {
    url: splitFragment(configuredUrl)[0] ?? configuredUrl,
    connectTimeoutMs: retry.timeoutMs,
    readTimeoutMs: retry.timeoutMs,
    totalTimeoutMs: Number.POSITIVE_INFINITY,
    retryCount: Math.max(retry.attempts - 1, 0),
    retryOn: everyFailure,
  };
}

function splitFragment(url: string): [string, string] {
  const hash = url.indexOf('#');
  return hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash + 1)];
}
