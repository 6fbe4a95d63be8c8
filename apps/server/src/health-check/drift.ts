import type { SenderKind, WebhookDrift, WebhookDriftField } from '@app/contracts';
import type { WebhookSettings } from '@app/twilio';

/** Twilio's default method for both webhooks when none is set (and the one we set). */
const POST = 'POST';

/** Twilio's names for the four settings, by where they live. */
type ComparedSetting = 'inboundUrl' | 'inboundMethod' | 'statusUrl' | 'statusMethod';
const fieldNames: Record<Exclude<SenderKind, 'sandbox'>, Record<ComparedSetting, WebhookDriftField>> = {
  sender: {
    inboundUrl: 'webhook.callback_url',
    inboundMethod: 'webhook.callback_method',
    statusUrl: 'webhook.status_callback_url',
    statusMethod: 'webhook.status_callback_method',
  },
  incoming_number: {
    inboundUrl: 'SmsUrl',
    inboundMethod: 'SmsMethod',
    statusUrl: 'StatusCallback',
    statusMethod: 'StatusCallbackMethod',
  },
  // A service's status callbacks have no method of their own: Twilio POSTs them
  // (FetchService has no status_callback_method), so an unset method is no drift.
  messaging_service: {
    inboundUrl: 'InboundRequestUrl',
    inboundMethod: 'InboundMethod',
    statusUrl: 'StatusCallback',
    statusMethod: 'StatusCallbackMethod',
  },
};

/**
 * Each setting Twilio holds that differs from what `configureWebhooks` sets: our two
 * URLs, POSTed. An unset method is Twilio's default, POST, so it is no drift.
 */
export function webhookDrift(
  kind: Exclude<SenderKind, 'sandbox'>,
  actual: WebhookSettings,
  expected: { inbound: string; status: string },
): WebhookDrift[] {
  const wanted: Record<ComparedSetting, string> = {
    inboundUrl: expected.inbound,
    inboundMethod: POST,
    statusUrl: expected.status,
    statusMethod: POST,
  };
  const drift: WebhookDrift[] = [];
  for (const key of ['inboundUrl', 'inboundMethod', 'statusUrl', 'statusMethod'] as const) {
    const want = wanted[key];
    const have = actual[key];
    const isMethod = key === 'inboundMethod' || key === 'statusMethod';
    const same = isMethod ? (have ?? POST).toUpperCase() === want : have === want;
    if (!same)
      drift.push({ field: fieldNames[kind][key], expected: want, actual: isMethod ? have : shownUrl(have) });
  }
  // With UseInboundWebhookOnNumber on, each sender's own webhook wins over the
  // service's InboundRequestUrl and inbound messages no longer reach us.
  // https://www.twilio.com/docs/messaging/api/service-resource
  if (kind === 'messaging_service' && actual.useInboundWebhookOnNumber === true)
    drift.push({ field: 'UseInboundWebhookOnNumber', expected: 'false', actual: 'true' });
  return drift;
}

/**
 * Another system's webhook URL as health shows it (members read health): its origin and
 * path, without user info or query, which can carry that system's credentials (the
 * same reason the URLs replaced at connect are kept from every reader but the
 * service role). Enough to recognise where Twilio now sends.
 */
export function shownUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(not a valid URL)';
  }
}

/** Whether the inbound webhook (not only the status callback) has moved away. */
export function inboundDrifted(drift: readonly WebhookDrift[]): boolean {
  return drift.some((d) => inboundFields.has(d.field));
}

/** The settings that decide where inbound messages go: each kind's URL and method, and the service's switch. */
const inboundFields: ReadonlySet<WebhookDriftField> = new Set([
  ...Object.values(fieldNames).flatMap((names) => [names.inboundUrl, names.inboundMethod]),
  'UseInboundWebhookOnNumber',
]);
