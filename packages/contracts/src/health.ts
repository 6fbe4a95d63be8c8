import { z } from 'zod';
import { connectionId, isoDateTime, senderKind } from './connections.ts';
import { deliveryCounts } from './delivery-log.ts';

/** How the health check rates a connection right now; the first problem found decides. */
export const healthLevels = ['ok', 'warning', 'error'] as const;
export const healthLevel = z.enum(healthLevels);
export type HealthLevel = z.infer<typeof healthLevel>;

/**
 * A webhook setting Twilio holds for the sender or number, named as Twilio's console
 * and API name it: a sender's (Senders API v2) `webhook.callback_url` and
 * `webhook.status_callback_url`, a phone number's `SmsUrl` and `StatusCallback`, and
 * their methods, and a Messaging Service's `InboundRequestUrl`, `InboundMethod`,
 * `StatusCallback` and `UseInboundWebhookOnNumber` (Messaging v1 Service resource).
 */
export const webhookDriftFields = [
  'webhook.callback_url',
  'webhook.callback_method',
  'webhook.status_callback_url',
  'webhook.status_callback_method',
  'SmsUrl',
  'SmsMethod',
  'StatusCallback',
  'StatusCallbackMethod',
  'InboundRequestUrl',
  'InboundMethod',
  'UseInboundWebhookOnNumber',
] as const;
export const webhookDriftField = z.enum(webhookDriftFields);
export type WebhookDriftField = z.infer<typeof webhookDriftField>;

export const webhookDrift = z.object({
  field: webhookDriftField,
  expected: z.string(),
  /** What Twilio has now; null when it has nothing there. */
  actual: z.string().nullable(),
});
export type WebhookDrift = z.infer<typeof webhookDrift>;

/** Whether Twilio answered the health check's read, and if not, why, in words. */
export const twilioReachabilities = ['ok', 'unreachable', 'refused', 'not_asked'] as const;
export const twilioReachability = z.enum(twilioReachabilities);
export type TwilioReachability = z.infer<typeof twilioReachability>;

export const senderHealth = z.object({
  kind: senderKind,
  sid: z.string().nullable(),
  /**
   * The Senders API's status (ONLINE, OFFLINE, CREATING, PENDING_VERIFICATION,
   * VERIFYING, ONLINE:UPDATING, TWILIO_REVIEW, DRAFT, STUBBED); null where Twilio has
   * none (a phone number, the sandbox) or could not be asked. A string, not an enum:
   * Twilio adds statuses.
   */
  status: z.string().nullable(),
  offlineReasons: z.array(
    z.object({
      code: z.string().nullable(),
      message: z.string().nullable(),
      moreInfo: z.string().nullable(),
    }),
  ),
  qualityRating: z.string().nullable(),
  messagingLimit: z.string().nullable(),
  /** What applies to this kind of sender, in a sentence (the sandbox, a phone number); null for a sender. */
  note: z.string().nullable(),
});
export type SenderHealth = z.infer<typeof senderHealth>;

export const connectionHealth = z.object({
  connectionId,
  checkedAt: isoDateTime,
  summary: z.object({
    level: healthLevel,
    sentence: z.string(),
    /** When the problem the sentence names began, where known (signature failures): the SPA shows it in local time. */
    since: isoDateTime.nullable(),
  }),
  twilio: z.object({ reachability: twilioReachability, message: z.string().nullable() }),
  sender: senderHealth,
  /** Whether the webhook URLs could be compared: false for the sandbox (console only) or when Twilio was not reached. */
  webhooksChecked: z.boolean(),
  drift: z.array(webhookDrift),
  /** The URLs Twilio should call. */
  expectedWebhooks: z.object({ inbound: z.string(), status: z.string() }),
  lastInboundAt: isoDateTime.nullable(),
  lastStatusCallbackAt: isoDateTime.nullable(),
  /** The last delivery Twilio made that we stored (inbound or status). */
  lastDeliveryAt: isoDateTime.nullable(),
  /** Counts by verdict (the delivery log's) since `deliveriesSince`, 24 hours before `checkedAt`. */
  deliveriesSince: isoDateTime,
  deliveries: deliveryCounts,
  isActive: z.boolean(),
  disconnected: z.boolean(),
});
export type ConnectionHealth = z.infer<typeof connectionHealth>;
