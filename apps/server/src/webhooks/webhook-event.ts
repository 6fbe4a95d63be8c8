import { createHash } from 'node:crypto';
import type { WebhookEventType } from '@app/db';
import { type FormParams, param } from './form-body.ts';

/** A verified delivery, ready to be stored in twilio_whatsapp_webhook_events. */
export interface WebhookEventRow {
  connectionId: string;
  messageSid: string;
  eventType: WebhookEventType;
  messageStatus: string | null;
  /** 'message:<sid>' or 'status:<sid>:<MessageStatus>' (FIX 2 in the migration). */
  idempotencyKey: string;
  /** The verified params, as JSON text (stored as jsonb). */
  payloadJson: string;
  /** SHA-256 hex of the raw body. */
  payloadHash: string;
}

/** Builds the event row; undefined when the delivery has no MessageSid. */
export function webhookEventRow(
  connectionId: string,
  eventType: WebhookEventType,
  params: FormParams,
  rawBody: string,
): WebhookEventRow | undefined {
  const messageSid = param(params, 'MessageSid') || param(params, 'SmsSid');
  if (!messageSid) return undefined;
  const messageStatus =
    eventType === 'status' ? (param(params, 'MessageStatus') ?? param(params, 'SmsStatus') ?? '') : null;
  return {
    connectionId,
    messageSid,
    eventType,
    messageStatus,
    idempotencyKey:
      eventType === 'message' ? `message:${messageSid}` : `status:${messageSid}:${messageStatus}`,
    payloadJson: JSON.stringify(params),
    payloadHash: createHash('sha256').update(rawBody).digest('hex'),
  };
}
