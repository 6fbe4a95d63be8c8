import { type EventOutcome, senderKindOf, type WebhookEvent, type WhatsappConnection } from '@app/contracts';
import type { TwilioWhatsappConnection, TwilioWhatsappWebhookEvent } from '@app/db';
import type { WhatsappSender } from '@app/twilio';
import { signingTokenOf } from './token-rotation.ts';
import { webhookUrlsFor } from './webhook-urls.ts';

/**
 * The API's view of a row: every column but the tokens' ciphertexts, plus the webhook
 * URLs and which Auth Token Twilio signs with.
 */
export function presentConnection(
  row: Omit<
    TwilioWhatsappConnection,
    'twilioAuthTokenHash' | 'twilioPreviousAuthToken' | 'reconcileLeaseUntil' | 'twilioWebhooksBefore'
  >,
  publicUrl: URL,
  /** Who disconnected which connection (disconnectorNames), for `disconnectedBy`. */
  disconnectors: ReadonlyMap<string, string> = new Map(),
): WhatsappConnection {
  return {
    id: row.id,
    organizationId: row.organizationId,
    accountSid: row.twilioAccountSid,
    whatsappNumber: row.whatsappNumber,
    whatsappNumberSid: row.whatsappNumberSid,
    senderKind: senderKindOf(row.whatsappNumberSid, row.messagingServiceSid),
    messagingService:
      row.messagingServiceSid === null
        ? null
        : { sid: row.messagingServiceSid, senders: row.messagingServiceSenders ?? [] },
    friendlyName: row.friendlyName,
    isActive: row.isActive,
    webhookConfigured: row.webhookConfigured,
    lastVerifiedAt: row.lastVerifiedAt?.toISOString() ?? null,
    lastReconciledAt: row.lastReconciledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    webhookUrls: webhookUrlsFor(publicUrl, row.id),
    signingToken: signingTokenOf(row),
    previousTokenExpiresAt:
      row.previousTokenExpiresAt !== null && row.previousTokenExpiresAt > new Date()
        ? row.previousTokenExpiresAt.toISOString()
        : null,
    disconnectedAt: row.disconnectedAt?.toISOString() ?? null,
    disconnectedBy: row.disconnectedBy === null ? null : (disconnectors.get(row.disconnectedBy) ?? null),
  };
}

/**
 * An event as the delivery log shows it. `retriers` maps user ids to display names
 * (who retried it); an id missing there (a deleted user) shows as null.
 */
export function presentEvent(
  row: TwilioWhatsappWebhookEvent,
  retriers: ReadonlyMap<string, string> = new Map(),
): WebhookEvent {
  return {
    id: row.id,
    eventType: row.eventType,
    messageSid: row.messageSid,
    messageStatus: row.messageStatus,
    status: row.status,
    source: row.source,
    attempts: row.attempts,
    errorMessage: row.errorMessage,
    createdAt: row.createdAt.toISOString(),
    processedAt: row.processedAt?.toISOString() ?? null,
    outcome: eventOutcomeOf(row),
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    retriedBy: row.retriedBy === null ? null : (retriers.get(row.retriedBy) ?? null),
    retriedAt: row.retriedAt?.toISOString() ?? null,
  };
}

/** applied, failed, or pending: not tried yet (no attempt since the last retry) or retrying. */
export function eventOutcomeOf(row: Pick<TwilioWhatsappWebhookEvent, 'status' | 'attempts'>): EventOutcome {
  if (row.status === 'processed') return 'applied';
  if (row.status === 'failed') return 'failed';
  return row.attempts > 0 ? 'retrying' : 'pending';
}

/**
 * The adapter's sender, rebuilt from the stored SIDs: for a Messaging Service, the
 * service (its webhooks serve every sender of its pool).
 */
export function senderOf(
  row: Pick<TwilioWhatsappConnection, 'whatsappNumberSid' | 'messagingServiceSid'>,
): WhatsappSender {
  if (row.messagingServiceSid) return { kind: 'messaging_service', sid: row.messagingServiceSid };
  const kind = senderKindOf(row.whatsappNumberSid);
  if (kind === 'sandbox' || kind === 'messaging_service' || row.whatsappNumberSid === null)
    return { kind: 'sandbox', sid: null };
  return { kind, sid: row.whatsappNumberSid };
}
