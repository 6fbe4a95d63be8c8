import { z } from 'zod';
import { connectionId, isoDateTime } from './connections.ts';
import { templateSend } from './templates.ts';
import { e164Number, whatsappAddress } from './twilio.ts';

/** A UUID in its text form, any case (PostgreSQL accepts both). The server's one copy. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** WhatsApp's limit for one message body (Twilio refuses longer ones with 21617). */
export const MESSAGE_BODY_MAX = 1600;
/** Twilio accepts at most 10 MediaUrl parameters per message. */
export const MESSAGE_MEDIA_MAX = 10;

/**
 * The recipient, as `whatsapp:+E164`. Accepts `whatsapp:+…` or a number in
 * international format with the usual separators (spaces, dashes, dots, parentheses).
 */
export const whatsappRecipient = e164Number('Enter the recipient’s WhatsApp number.').transform((e164) =>
  whatsappAddress(e164),
);

const mediaUrl = z
  .string({ error: 'A media URL must be text.' })
  .trim()
  .refine(
    (value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      return url.protocol === 'https:' && url.hostname !== '';
    },
    {
      message:
        'Media URLs must be absolute https:// addresses Twilio can download, e.g. https://example.com/photo.jpg.',
    },
  );

/** A free-text message (with or without media): only inside the customer's 24-hour window. */
export const freeTextSendInput = z
  .object({
    connectionId,
    to: whatsappRecipient,
    body: z
      .string({ error: 'The message must be text.' })
      .trim()
      .max(MESSAGE_BODY_MAX, `Keep the message to ${MESSAGE_BODY_MAX} characters or fewer.`)
      .transform((s) => (s === '' ? undefined : s))
      .optional(),
    mediaUrls: z
      .array(mediaUrl)
      .max(MESSAGE_MEDIA_MAX, `Attach at most ${MESSAGE_MEDIA_MAX} media URLs to one message.`)
      .default([]),
  })
  .refine((m) => m.body !== undefined || m.mediaUrls.length > 0, {
    message: 'Write a message, or attach a media URL.',
    path: ['body'],
  });

/** An approved template, with a value for each of its variables: at any time. */
export const templateSendInput = z.object({
  connectionId,
  to: whatsappRecipient,
  template: templateSend,
  body: z.undefined({ error: 'Send either a message or a template, not both.' }).optional(),
  mediaUrls: z
    .array(z.unknown())
    .max(0, 'A template brings its own media; send it without media URLs.')
    .optional()
    .transform(() => undefined),
});

export type FreeTextSendInput = z.input<typeof freeTextSendInput>;
export type TemplateSendInput = z.input<typeof templateSendInput>;
export type FreeTextSend = z.output<typeof freeTextSendInput>;
export type TemplateSendMessage = z.output<typeof templateSendInput>;

/**
 * `whatsapp.messages.send`'s input: free text (`{connectionId, to, body?, mediaUrls?}`,
 * exactly as before templates) or a template (`{connectionId, to, template}`),
 * told apart by the `template` key. Dispatched on that key rather than a
 * `z.union`, so a refused input reports the fields of the shape it meant (a
 * union reports "Invalid input" when both shapes fail).
 */
export const sendMessageInput = z.unknown().transform((value, ctx): FreeTextSend | TemplateSendMessage => {
  const schema =
    typeof value === 'object' && value !== null && 'template' in value && value.template !== undefined
      ? templateSendInput
      : freeTextSendInput;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: undefined } as never);
  return z.NEVER;
}) as unknown as z.ZodType<FreeTextSend | TemplateSendMessage, FreeTextSendInput | TemplateSendInput>;
export type SendMessageInput = FreeTextSendInput | TemplateSendInput;
export type SendMessage = FreeTextSend | TemplateSendMessage;

/** Whether a parsed send is a template send. */
export function isTemplateSend(message: SendMessage): message is TemplateSendMessage {
  return 'template' in message && message.template !== undefined;
}

/**
 * WhatsApp's customer service window: free text reaches a customer only within
 * 24 hours of their last message; outside it only an approved template does.
 * https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session
 */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Twilio's error for free text (or an unapproved template) sent outside the
 * window: https://www.twilio.com/docs/api/errors/63016. A failed message with
 * this code can be sent again as a template.
 */
export const WINDOW_CLOSED_ERROR_CODE = 63016;

/** An opaque position in a conversation; only the server reads it. */
export const messagesCursor = z
  .string({ error: 'That page cursor is not valid.' })
  .min(1, 'That page cursor is not valid.')
  .max(200, 'That page cursor is not valid.');

export const listMessagesInput = z.object({
  connectionId,
  /** Only the conversation with this customer (E.164; `whatsapp:+…` accepted). */
  customer: e164Number('Enter the customer’s WhatsApp number.').optional(),
  cursor: messagesCursor.nullish(),
  limit: z
    .number({ error: 'The page size must be a number.' })
    .int('The page size must be a whole number.')
    .min(1, 'Ask for at least one message.')
    .max(100, 'Ask for at most 100 messages per page.')
    .default(30),
});
export type ListMessagesInput = z.input<typeof listMessagesInput>;

export const messageDirections = ['inbound', 'outbound'] as const;
export const messageDirection = z.enum(messageDirections);
export type MessageDirection = z.infer<typeof messageDirection>;

/**
 * Twilio's message statuses, as stored: the one list (the database schema in
 * @app/db and the server's checks read it from here).
 */
export const messageStatuses = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'failed',
  'undelivered',
  'delivered',
  'read',
  'received',
  'receiving',
  'canceled',
] as const;
export const messageStatus = z.enum(messageStatuses);
export type MessageStatus = z.infer<typeof messageStatus>;

/** Whether Twilio's status string is one we store (Twilio adds new ones now and then). */
export function isMessageStatus(status: string): status is MessageStatus {
  return (messageStatuses as readonly string[]).includes(status);
}

/** One attachment of a message: where Twilio (or the sender) serves it, and its type when known. */
export const messageMedia = z.object({ url: z.string(), contentType: z.string().nullable() });
export type MessageMedia = z.infer<typeof messageMedia>;

/** One message of a conversation, as `whatsapp.messages.list` and `.send` return it. */
export const whatsappMessage = z.object({
  id: z.uuid(),
  connectionId: z.uuid(),
  /** Twilio's MessageSid; null while an outbound message waits for Twilio's answer (or was refused). */
  messageSid: z.string().nullable(),
  direction: messageDirection,
  /** `whatsapp:+E164` */
  from: z.string(),
  /** `whatsapp:+E164` */
  to: z.string(),
  body: z.string().nullable(),
  media: z.array(messageMedia),
  /** The WhatsApp profile name of an inbound message's sender. */
  profileName: z.string().nullable(),
  status: messageStatus,
  /** Twilio's error code of a failed or undelivered message. */
  errorCode: z.number().int().nullable(),
  /** What went wrong, written for the person reading the conversation (from the error code). */
  errorMessage: z.string().nullable(),
  /**
   * The template an outbound message was sent with (its Content SID and the
   * values sent); null for free text. `body` then holds the text the customer read.
   */
  template: z.object({ contentSid: z.string(), variables: z.record(z.string(), z.string()) }).nullable(),
  /** What the customer tapped: an inbound quick-reply answer's button title (Twilio's `ButtonText`). */
  buttonText: z.string().nullable(),
  /** The tapped button's id (Twilio's `ButtonPayload`). */
  buttonPayload: z.string().nullable(),
  createdAt: isoDateTime,
  statusUpdatedAt: isoDateTime,
});
export type WhatsappMessage = z.infer<typeof whatsappMessage>;

export const whatsappMessagePage = z.object({
  /** Newest first. */
  items: z.array(whatsappMessage),
  /** Pass as `cursor` to read older messages; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type WhatsappMessagePage = z.infer<typeof whatsappMessagePage>;
