/** `whatsapp.conversations.list`: a connection's conversations, one row per customer. */
import { z } from 'zod';
import { connectionId, isoDateTime } from './connections.ts';
import { messageDirection, messageStatus } from './messages.ts';

export const listConversationsInput = z.object({
  connectionId,
  /** The most recently active conversations, up to this many. */
  limit: z
    .number({ error: 'The number of conversations must be a number.' })
    .int('The number of conversations must be a whole number.')
    .min(1, 'Ask for at least one conversation.')
    .max(500, 'Ask for at most 500 conversations.')
    .default(100),
});
export type ListConversationsInput = z.input<typeof listConversationsInput>;

/** One customer's conversation with the connection's number. */
export const whatsappConversation = z.object({
  /** The customer's number, E.164 (no `whatsapp:` prefix). */
  customer: z.string(),
  /** The WhatsApp profile name of their latest message that had one. */
  customerName: z.string().nullable(),
  lastMessage: z.object({
    id: z.uuid(),
    direction: messageDirection,
    /** The text (for a template, the text the customer read); null for media only. */
    body: z.string().nullable(),
    /** A short line for the list: the text, the tapped button, or "Photo"-like words for media. */
    preview: z.string(),
    status: messageStatus,
    at: isoDateTime,
  }),
  /**
   * Inbound messages after the last outbound one: a reply counts as having read
   * the conversation (there is no per-person read marker).
   */
  unreadCount: z.number().int(),
  /** When the customer last wrote; null if they never did. */
  lastInboundAt: isoDateTime.nullable(),
  /** When the 24-hour window closes (lastInboundAt + 24 h); null when it is closed already. */
  windowExpiresAt: isoDateTime.nullable(),
});
export type WhatsappConversation = z.infer<typeof whatsappConversation>;

/** Most recent activity first. */
export const whatsappConversationList = z.array(whatsappConversation);
