import { createHash } from 'node:crypto';
import { type NewWebhookEvent, type WebhookEventType, webhookEventIdempotencyKey } from '@app/db';
import { field, type WebhookPayload } from './payload.ts';

/** The event row of a verified delivery; undefined when it has no MessageSid. */
export function webhookEventRow(
  connectionId: string,
  eventType: WebhookEventType,
  payload: WebhookPayload,
  rawBody: string,
): NewWebhookEvent | undefined {
  const messageSid = field(payload, 'MessageSid') ?? field(payload, 'SmsSid');
  if (!messageSid) return undefined;
  const messageStatus =
    eventType === 'status' ? (field(payload, 'MessageStatus') ?? field(payload, 'SmsStatus') ?? '') : null;
  return {
    connectionId,
    messageSid,
    eventType,
    messageStatus,
    idempotencyKey: webhookEventIdempotencyKey(eventType, messageSid, messageStatus),
    payloadJson: JSON.stringify(payload),
    // SHA-256 hex of the raw body.
    payloadHash: createHash('sha256').update(rawBody).digest('hex'),
  };
}
