import { z } from 'zod';
import { connectionId } from './twilio.ts';

/**
 * Where the number lives in the Twilio account, read from its SID: a Senders API
 * sender (`XE…`), one of the account's phone numbers (`PN…`), or Twilio's shared
 * sandbox (no SID; its webhooks are pasted in the Twilio Console).
 */
export const senderKind = z.enum(['sender', 'incoming_number', 'sandbox']);
export type SenderKind = z.infer<typeof senderKind>;

export function senderKindOf(whatsappNumberSid: string | null): SenderKind {
  if (whatsappNumberSid === null) return 'sandbox';
  return whatsappNumberSid.startsWith('XE') ? 'sender' : 'incoming_number';
}

/** A timestamp as the API sends it: ISO 8601 with its offset. */
export const isoDateTime = z.iso.datetime({ offset: true });

/**
 * A WhatsApp connection as the API shows it. Never the Auth Token nor its
 * ciphertext: procedures validate their output against this object, which drops
 * any key not listed here.
 */
export const whatsappConnection = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  accountSid: z.string(),
  whatsappNumber: z.string(),
  whatsappNumberSid: z.string().nullable(),
  senderKind,
  friendlyName: z.string().nullable(),
  isActive: z.boolean(),
  webhookConfigured: z.boolean(),
  lastVerifiedAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  /** The URLs Twilio must call; shown for manual setup when `webhookConfigured` is false. */
  webhookUrls: z.object({ inbound: z.url(), status: z.url() }),
});
export type WhatsappConnection = z.infer<typeof whatsappConnection>;

/**
 * What create / update / configureWebhooks answer: the stored connection, and why
 * Twilio's webhooks could not be set when that failed (the connection is kept).
 */
export const connectionWriteResult = whatsappConnection.extend({
  webhookError: z.string().nullable(),
});
export type ConnectionWriteResult = z.infer<typeof connectionWriteResult>;

export const webhookEvent = z.object({
  id: z.uuid(),
  eventType: z.enum(['message', 'status']),
  messageSid: z.string(),
  messageStatus: z.string().nullable(),
  status: z.enum(['pending', 'processed', 'failed']),
  attempts: z.number().int(),
  errorMessage: z.string().nullable(),
  createdAt: isoDateTime,
  processedAt: isoDateTime.nullable(),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;

export const listEventsInput = z.object({
  connectionId,
  limit: z
    .number()
    .int('The limit is a whole number.')
    .min(1, 'Ask for at least one event.')
    .max(200, 'Ask for at most 200 events.')
    .default(50),
});
export type ListEventsInput = z.input<typeof listEventsInput>;
