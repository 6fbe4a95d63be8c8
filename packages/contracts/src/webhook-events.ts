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

/**
 * A stored event's outcome in the delivery log, in the worker's terms: applied
 * (processed), pending (not tried yet), retrying (tried, failed, tried again at
 * nextAttemptAt) or failed (the worker gave up, with its error; an admin may retry it).
 */
export const eventOutcomes = ['applied', 'pending', 'retrying', 'failed'] as const;
export const eventOutcome = z.enum(eventOutcomes);
export type EventOutcome = z.infer<typeof eventOutcome>;

/** A stored webhook delivery, as `whatsapp.events.list` (the delivery log) shows it. */
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
  outcome: eventOutcome,
  /** When the worker tries a pending or retrying event (null once applied or failed). */
  nextAttemptAt: isoDateTime.nullable(),
  /** Who last sent this event back to the worker from the log (a display name), and when. */
  retriedBy: z.string().nullable(),
  retriedAt: isoDateTime.nullable(),
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
  // The delivery log's filters and paging; a caller that sends none gets the newest
  // events as before.
  outcome: eventOutcome.optional(),
  source: webhookEventSource.optional(),
  eventType: webhookEventType.optional(),
  /**
   * Older than this event (the id of the last one shown): "Show older". Newest first,
   * ties on created_at broken by id. An event pruned meanwhile yields an empty page.
   */
  before: z.uuid({ error: 'That event id is not valid.' }).optional(),
});
export type ListEventsInput = z.input<typeof listEventsInput>;
