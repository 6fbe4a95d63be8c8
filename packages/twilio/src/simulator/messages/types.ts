import type { WebhookDelivery } from '../core/webhooks.ts';

/** `accepted`: created with a MessagingServiceSid, before Twilio has picked the sender. */
export type MessageStatus =
  | 'accepted'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  | 'undelivered'
  | 'received';

/** A medium of a message (Media resource, ME…). */
export interface SimMedia {
  sid: string;
  url: string;
  /** Known for inbound media (the customer's upload); null for outbound URLs. */
  contentType: string | null;
  dateCreated: Date;
}

export interface SimMessage {
  sid: string;
  accountSid: string;
  direction: 'inbound' | 'outbound-api';
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  media: SimMedia[];
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  statusCallback: string | null;
  contentSid: string | null;
  /** The ContentVariables sent with `contentSid`, parsed. */
  contentVariables: Record<string, string> | null;
  /** The Messaging Service the message was sent through (MG…). */
  messagingServiceSid: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  /** Every status the message went through, in order. */
  statusHistory: MessageStatus[];
}

export interface InboundMessageInput {
  /** The sender's number, E.164 (or `whatsapp:+…`). */
  to: string;
  /** The customer, `whatsapp:+…`. */
  from: string;
  /** Required for the shared sandbox number; otherwise found from the number. */
  accountSid?: string;
  body?: string;
  media?: { url: string; contentType: string }[];
  profileName?: string;
  location?: { latitude: number; longitude: number; address?: string; label?: string };
  buttonPayload?: string;
  buttonText?: string;
  messagingServiceSid?: string;
  /** Deliver this many extra copies of the same webhook (same MessageSid, same idempotency token). */
  duplicates?: number;
}

export interface InboundResult {
  messageSid: string;
  /** True when the message was a sandbox `join <keyword>`: Twilio consumes it, nothing is delivered. */
  joinedSandbox: boolean;
  deliveries: WebhookDelivery[];
}

export interface OutboundMessageInput {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  statusCallback: string | null;
  contentSid: string | null;
  /** The ContentVariables sent with `contentSid`, parsed; the body is rendered from the template. */
  contentVariables?: Record<string, string> | null;
  messagingServiceSid?: string | null;
}
