import type { SenderKind, WebhookDrift, WebhookDriftField } from '@app/contracts';
import type { WebhookSettings } from '@app/twilio';

/** Twilio's default method for both webhooks when none is set (and the one we set). */
const POST = 'POST';

/** Twilio's names for the four settings, by where they live. */
const fieldNames: Record<'sender' | 'incoming_number', Record<keyof WebhookSettings, WebhookDriftField>> = {
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
  const wanted: WebhookSettings = {
    inboundUrl: expected.inbound,
    inboundMethod: POST,
    statusUrl: expected.status,
    statusMethod: POST,
  };
  const drift: WebhookDrift[] = [];
  for (const key of ['inboundUrl', 'inboundMethod', 'statusUrl', 'statusMethod'] as const) {
    const want = wanted[key] as string;
    const have = actual[key];
    const isMethod = key === 'inboundMethod' || key === 'statusMethod';
    const same = isMethod ? (have ?? POST).toUpperCase() === want : have === want;
    if (!same) drift.push({ field: fieldNames[kind][key], expected: want, actual: have });
  }
  return drift;
}

/** Whether the inbound webhook (not only the status callback) has moved away. */
export function inboundDrifted(drift: readonly WebhookDrift[]): boolean {
  return drift.some((d) => d.field === 'webhook.callback_url' || d.field === 'SmsUrl');
}
