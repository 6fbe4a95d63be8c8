import { z } from 'zod';
import { connectAttemptId } from './connect-progress.ts';
import { accountSid, authToken, messagingServiceSid, whatsappNumber } from './twilio.ts';

/**
 * Where the number lives in the Twilio account, read from its SID: a Senders API
 * sender (`XE…`), one of the account's phone numbers (`PN…`), Twilio's shared
 * sandbox (no SID; its webhooks are pasted in the Twilio Console), or a Messaging
 * Service (`MG…`) whose WhatsApp senders all belong to the connection.
 */
export const senderKinds = ['sender', 'incoming_number', 'sandbox', 'messaging_service'] as const;
export const senderKind = z.enum(senderKinds);
export type SenderKind = z.infer<typeof senderKind>;

export function senderKindOf(
  whatsappNumberSid: string | null,
  messagingServiceSid?: string | null,
): SenderKind {
  if (messagingServiceSid) return 'messaging_service';
  if (whatsappNumberSid === null) return 'sandbox';
  return whatsappNumberSid.startsWith('XE') ? 'sender' : 'incoming_number';
}

/**
 * Which Auth Token Twilio signs webhooks with, from the latest deliveries: the one
 * stored now, the one the last update replaced (Twilio has not promoted the new one
 * yet; accepted until the grace period ends), or unknown (no delivery seen since).
 */
export const signingTokens = ['current', 'previous', 'unknown'] as const;
export type SigningTokenState = (typeof signingTokens)[number];

// Inputs

export const friendlyName = z
  .string()
  .trim()
  .max(64, 'Keep the name to 64 characters or fewer.')
  .transform((s) => (s === '' ? null : s))
  .nullable()
  .optional();

export const connectionId = z.uuid({ error: 'That connection id is not valid.' });

/** What to connect: one WhatsApp number (the default, `kind` may be left out), or a Messaging Service. */
export const connectionTargetKinds = ['number', 'messaging_service'] as const;
export type ConnectionTargetKind = (typeof connectionTargetKinds)[number];

const credentialsAndName = {
  accountSid,
  authToken,
  friendlyName,
  /** The browser's id for this attempt: the server records its steps under it (connectProgress). */
  attemptId: connectAttemptId.optional(),
};

export const createConnectionInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('number').optional(), ...credentialsAndName, whatsappNumber }),
  z.object({ kind: z.literal('messaging_service'), ...credentialsAndName, messagingServiceSid }),
]);
export type CreateConnectionInput = z.input<typeof createConnectionInput>;
export type CreateConnectionValues = z.output<typeof createConnectionInput>;

/** Credentials change together (a token belongs to its account); the name alone may change. */
export const updateConnectionInput = z
  .object({
    id: connectionId,
    accountSid: accountSid.optional(),
    authToken: authToken.optional(),
    friendlyName,
  })
  .refine((v) => v.accountSid === undefined || v.authToken !== undefined, {
    message: "Changing the Account SID needs that account's Auth Token too.",
    path: ['authToken'],
  });
export type UpdateConnectionInput = z.input<typeof updateConnectionInput>;

export const connectionIdInput = z.object({ id: connectionId });
/** Delete history: the number, typed again, confirms which history goes. */
export const deleteHistoryInput = z.object({
  id: connectionId,
  confirmation: z.string().trim().min(1, 'Type the number to confirm.'),
});
export type DeleteHistoryInput = z.input<typeof deleteHistoryInput>;
export const setActiveInput = z.object({ id: connectionId, isActive: z.boolean() });

// Outputs

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
  /**
   * Set when connected with a Messaging Service: its SID and its WhatsApp senders
   * (E.164) at the last connect or verify. `whatsappNumber` is then the first of them.
   */
  messagingService: z.object({ sid: z.string(), senders: z.array(z.string()) }).nullable(),
  friendlyName: z.string().nullable(),
  isActive: z.boolean(),
  webhookConfigured: z.boolean(),
  lastVerifiedAt: isoDateTime.nullable(),
  /** The end of the last window read from Twilio's Messages API to the end; null: never. */
  lastReconciledAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  /** The URLs Twilio must call; shown for manual setup when `webhookConfigured` is false. */
  webhookUrls: z.object({ inbound: z.url(), status: z.url() }),
  /** Which Auth Token Twilio's latest deliveries were signed with (see signingTokens). */
  signingToken: z.enum(signingTokens),
  /** Until when signatures made with the Auth Token replaced by the last update are accepted; null when none is kept. */
  previousTokenExpiresAt: isoDateTime.nullable(),
  /**
   * Set once disconnected: the Auth Token is erased, the history kept (readable as
   * before); connecting the number again continues it.
   */
  disconnectedAt: isoDateTime.nullable(),
  /** Who disconnected it: their name (or email), null when unknown or once they left. */
  disconnectedBy: z.string().nullable(),
});
export type WhatsappConnection = z.infer<typeof whatsappConnection>;

/**
 * What `delete` (disconnect) answers: whether Twilio's earlier webhook settings were
 * put back, and a sentence saying what happened there or what to clear by hand.
 */
export const disconnectResult = z.object({
  id: z.uuid(),
  webhooksRestored: z.boolean(),
  webhookNote: z.string(),
});
export type DisconnectResult = z.infer<typeof disconnectResult>;

/**
 * What create / update / configureWebhooks answer: the stored connection, and why
 * Twilio's webhooks could not be set when that failed (the connection is kept).
 */
export const connectionWriteResult = whatsappConnection.extend({
  webhookError: z.string().nullable(),
});
export type ConnectionWriteResult = z.infer<typeof connectionWriteResult>;

/** What `whatsapp.connections.sync` found: what was new, in the window it read from Twilio. */
export const syncConnectionResult = z.object({
  /** Inbound messages Twilio has that no webhook had brought. */
  inboundRecovered: z.number().int().nonnegative(),
  /** Outbound statuses Twilio has that no status callback had brought. */
  statusesUpdated: z.number().int().nonnegative(),
  checkedFrom: isoDateTime,
  checkedTo: isoDateTime,
});
export type SyncConnectionResult = z.infer<typeof syncConnectionResult>;
