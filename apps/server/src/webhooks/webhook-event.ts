import { createHash } from 'node:crypto';
import type { NewWebhookEvent, WebhookEventType } from '@app/db';
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
    // 'message:<sid>' or 'status:<sid>:<MessageStatus>' (FIX 2 in the migration).
    idempotencyKey:
      eventType === 'message' ? `message:${messageSid}` : `status:${messageSid}:${messageStatus}`,
    payloadJson: JSON.stringify(payload),
    // SHA-256 hex of the raw body.
    payloadHash: createHash('sha256').update(rawBody).digest('hex'),
  };
}
