import { z } from 'zod';
import { connectionId, isoDateTime } from './connections.ts';
import { webhookEventType } from './webhook-events.ts';

/**
 * What became of one delivery from Twilio, as the delivery log and the health panel
 * count it:
 * - accepted: signed, new, stored (the worker applies it);
 * - repeated: signed, but its idempotency key was already stored (a copy Twilio sent
 *   again, or reconciliation had read it first): answered 200, stored nothing;
 * - badSignature: X-Twilio-Signature does not match the connection's Auth Token (403);
 * - missingSignature: no X-Twilio-Signature at all (400);
 * - unknownConnection: the URL names a connection that is disconnected or does not
 *   exist (404). Only a connection that exists (disconnected, of some organization) is
 *   counted for that organization; an id that names none is counted on /metrics only;
 * - processingFailed: stored, but the worker gave up applying it (event status failed);
 * - recovered: not delivered by a webhook, read back from Twilio's Messages API by
 *   reconciliation.
 * The first five are decided at the intake; the last two come from the stored events.
 */
export const deliveryVerdicts = [
  'accepted',
  'repeated',
  'badSignature',
  'missingSignature',
  'unknownConnection',
  'processingFailed',
  'recovered',
] as const;
export const deliveryVerdict = z.enum(deliveryVerdicts);
export type DeliveryVerdict = z.infer<typeof deliveryVerdict>;

/** The verdicts the intake decides and counts per minute (the rest come from stored events). */
export const intakeVerdicts = [
  'accepted',
  'repeated',
  'badSignature',
  'missingSignature',
  'unknownConnection',
] as const satisfies readonly DeliveryVerdict[];
export type IntakeVerdict = (typeof intakeVerdicts)[number];

/** Refused deliveries: answered 4xx, never stored as events, but kept (the last 50) in the refused list. */
export const refusedVerdicts = [
  'badSignature',
  'missingSignature',
  'unknownConnection',
] as const satisfies readonly IntakeVerdict[];
export const refusedVerdict = z.enum(refusedVerdicts);
export type RefusedVerdict = z.infer<typeof refusedVerdict>;

/** Deliveries per verdict over a window (every verdict present, 0 when none). */
export const deliveryCounts = z.object(
  Object.fromEntries(deliveryVerdicts.map((v) => [v, z.number().int().nonnegative()])) as Record<
    DeliveryVerdict,
    z.ZodNumber
  >,
);
export type DeliveryCounts = Record<DeliveryVerdict, number>;

/** A refused delivery: when, from where, why. Never a body, a signature or a token. */
export const refusedDelivery = z.object({
  id: z.string(),
  receivedAt: isoDateTime,
  verdict: refusedVerdict,
  /** The route the delivery was posted to: an inbound message or a status callback. */
  eventType: webhookEventType,
  /** The address the request came from as the server saw it (behind a proxy: the proxy's, unless trusted). */
  sourceIp: z.string().nullable(),
  /** Why it was refused, in a sentence. */
  reason: z.string(),
});
export type RefusedDelivery = z.infer<typeof refusedDelivery>;

export const deliverySummaryInput = z.object({ connectionId });

/** The last 24 hours' counts by verdict, and the last refused deliveries (newest first, at most 50). */
export const deliverySummary = z.object({
  since: isoDateTime,
  counts: deliveryCounts,
  refused: z.array(refusedDelivery),
});
export type DeliverySummary = z.infer<typeof deliverySummary>;

export const retryEventInput = z.object({ id: z.uuid({ error: 'That event id is not valid.' }) });
export type RetryEventInput = z.infer<typeof retryEventInput>;
