import { z } from 'zod';
import { connectionId, isoDateTime } from './connections.ts';

/** What a webhook delivery announces: an inbound message, or a status callback. */
export const webhookEventTypes = ['message', 'status'] as const;
export const webhookEventType = z.enum(webhookEventTypes);
export type WebhookEventType = z.infer<typeof webhookEventType>;

/** Where a stored delivery is in the worker's hands. */
export const webhookEventStatuses = ['pending', 'processed', 'failed'] as const;
export const webhookEventStatus = z.enum(webhookEventStatuses);
export type WebhookEventStatus = z.infer<typeof webhookEventStatus>;

/**
 * Where a stored event came from: Twilio posted it (webhook), or the server read it
 * back from Twilio's Messages API (reconciliation).
 */
export const webhookEventSources = ['webhook', 'reconciliation'] as const;
export const webhookEventSource = z.enum(webhookEventSources);
export type WebhookEventSource = z.infer<typeof webhookEventSource>;

/** A stored webhook delivery, as `whatsapp.events.list` shows it. */
export const webhookEvent = z.object({
  id: z.uuid(),
  eventType: webhookEventType,
  messageSid: z.string(),
  messageStatus: z.string().nullable(),
  status: webhookEventStatus,
  source: webhookEventSource,
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
