export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

export type TwilioApiCallOutcome = 'ok' | 'client_error' | 'server_error' | 'unreachable';

export interface TwilioAdapterOptions {
  /** TWILIO_API_BASE_URL: every REST call goes to this origin, keeping its path and query. */
  apiBaseUrl?: string;
  /**
   * Per request: a call Twilio does not answer in time fails as `unreachable` with
   * `timedOutAfterMs`. Keep it well under the server's request timeout. Default 10 000.
   */
  timeoutMs?: number;
  /** Called once per REST call, for metrics. */
  onApiCall?: (outcome: TwilioApiCallOutcome) => void;
  /**
   * Reads made for reconciliation (listMessages, listMedia, fetchMessage) answered
   * 429 are tried again, `attempts` tries in all, waiting `backoffMs * 2^n` between
   * them. Default 4 tries from 1 000 ms. Writes are never retried.
   */
  readRetry?: { attempts: number; backoffMs: number };
  /** PageSize of list reads; default 1000, Twilio's largest (tests page with less). */
  listPageSize?: number;
}

/** A Message resource as reconciliation reads it (Twilio's fields, camelCased). */
export interface TwilioMessage {
  sid: string;
  accountSid: string;
  /** `inbound`, `outbound-api`, `outbound-call`, `outbound-reply`. */
  direction: string;
  /** `whatsapp:+…` for WhatsApp. */
  from: string;
  to: string;
  body: string | null;
  status: string;
  errorCode: number | null;
  errorMessage: string | null;
  numMedia: number;
  messagingServiceSid: string | null;
  dateSent: Date | null;
  dateCreated: Date;
}

/** A message's Media resource, with the URL its content is served at. */
export interface TwilioMedia {
  sid: string;
  contentType: string;
  /**
   * `https://api.twilio.com` + the resource's `uri` without `.json`: the URL Twilio's
   * inbound webhook gives as MediaUrl{n}.
   */
  url: string;
}

/** Which messages to list: by address, sent on or after `dateSentAfter` (and before `dateSentBefore`). */
export interface ListMessagesFilter {
  to?: string;
  from?: string;
  dateSentAfter: Date;
  dateSentBefore?: Date;
}

/** Where a WhatsApp number lives in a Twilio account. */
export type WhatsappSender =
  /** A Senders API (Messaging v2) sender, `XE…`. */
  | { kind: 'sender'; sid: string }
  /**
   * A phone number of the account (`PN…`). No longer connectable (it is not a WhatsApp
   * sender); kept for connections made before that check, whose webhooks still work.
   */
  | { kind: 'incoming_number'; sid: string }
  /** Twilio's shared sandbox number; its webhooks are set in the console only. */
  | { kind: 'sandbox'; sid: null }
  /**
   * A Messaging Service (`MG…`, Messaging v1): its InboundRequestUrl and StatusCallback
   * serve every sender of its pool, and sends name it (MessagingServiceSid).
   */
  | { kind: 'messaging_service'; sid: string };

/** A Messaging Service as the connect flow checks it: what it is, and its WhatsApp senders. */
export interface MessagingServiceSenders {
  sid: string;
  friendlyName: string;
  /** Its WhatsApp senders (Senders API), in the order Twilio lists them. */
  whatsappSenders: { sid: string; number: string }[];
}

export interface VerifiedAccount {
  accountSid: string;
  friendlyName: string;
  status: string;
  type: string;
}

export interface OutboundWhatsappMessage {
  /** The sender, E.164; ignored when `messagingServiceSid` is given (Twilio picks one of its senders). */
  from: string;
  /** Send through this Messaging Service (MG…): Twilio picks the sender from its pool. */
  messagingServiceSid?: string;
  /** The recipient, `whatsapp:+…`. */
  to: string;
  body?: string;
  mediaUrls?: string[];
  /**
   * A Content API template (HX…), sent instead of a body: outside the 24-hour
   * window WhatsApp takes nothing else (https://www.twilio.com/docs/api/errors/63016).
   */
  contentSid?: string;
  /** Its values, sent as ContentVariables: a JSON object as text, e.g. `{"1":"Maria"}`. */
  contentVariables?: Record<string, string>;
  statusCallback: string;
}

/**
 * A Content resource with its WhatsApp approval, as ContentAndApprovals lists it
 * (https://www.twilio.com/docs/content/content-api-resources; fields camelCased).
 */
export interface ContentTemplate {
  sid: string;
  friendlyName: string;
  language: string;
  /** Variable name -> its sample (default placeholder) value. */
  variables: Record<string, string>;
  /** Content type (`twilio/text`, …) -> its definition (`body`, `media`, `actions`, …). */
  types: Record<string, Record<string, unknown>>;
  /** `approval_requests`; null when Twilio gives none. */
  whatsapp: {
    /** `unsubmitted`, `received`, `pending`, `approved`, `rejected`, `paused`, `disabled`. */
    status: string;
    /** Empty unless rejected. */
    rejectionReason: string;
    category: string;
    /** The WhatsApp template name. */
    name: string;
    /** The content type WhatsApp reviewed. */
    contentType: string;
  } | null;
}

export interface SentMessage {
  sid: string;
  /** The sender Twilio used (`whatsapp:+…`): for a Messaging Service, the one it picked. */
  from?: string | null;
  status: string;
  errorCode: number | null;
  errorMessage: string | null;
}

/**
 * The webhook settings we change on a sender or number, as Twilio holds them (null:
 * not set). Senders API v2: `webhook.callback_url`/`callback_method`/
 * `status_callback_url`/`status_callback_method`; IncomingPhoneNumbers: `SmsUrl`,
 * `SmsMethod`, `StatusCallback`, `StatusCallbackMethod`.
 */
export interface WebhookSettings {
  inboundUrl: string | null;
  inboundMethod: string | null;
  statusUrl: string | null;
  statusMethod: string | null;
  /** A Messaging Service only: whether each sender's own webhook wins over the service's. */
  useInboundWebhookOnNumber?: boolean | null;
}

/** Why Twilio holds a sender OFFLINE: one of its `offline_reasons` (Senders API v2). */
export interface SenderOfflineReason {
  code: string | null;
  message: string | null;
  moreInfo: string | null;
}

/**
 * A sender's (or number's) state as Twilio has it now, for the health check. The
 * Senders API v2 (FetchChannelsSender, twilio_messaging_v2.json) gives `status`
 * (ONLINE, OFFLINE, CREATING, PENDING_VERIFICATION, VERIFYING, ONLINE:UPDATING,
 * TWILIO_REVIEW, DRAFT, STUBBED), `offline_reasons`, and `properties.quality_rating`
 * / `properties.messaging_limit`; a phone number (IncomingPhoneNumbers) has none of
 * those (null), only its webhooks.
 */
export interface SenderState {
  status: string | null;
  offlineReasons: SenderOfflineReason[];
  qualityRating: string | null;
  messagingLimit: string | null;
  webhooks: WebhookSettings;
}

export interface TwilioAdapter {
  /** Fetches the Account; suspended or closed accounts fail as `account_inactive`. */
  verifyCredentials(c: TwilioCredentials): Promise<VerifiedAccount>;
  /**
   * The number as a WhatsApp sender of the account (Senders API) or the sandbox (no
   * lookup); never `incoming_number`. A phone number of the account that is not a
   * sender, a number the account lacks, and an account that cannot list its senders
   * are `number_not_found`, each with its own sentence.
   */
  findWhatsappSender(c: TwilioCredentials, e164: string): Promise<WhatsappSender>;
  /**
   * The account's Messaging Service and its WhatsApp senders. A service the account
   * lacks is `not_found`, a service with no WhatsApp sender `number_not_found`, each
   * with a sentence saying what to do in Twilio's console.
   */
  findMessagingService(c: TwilioCredentials, serviceSid: string): Promise<MessagingServiceSenders>;
  /**
   * The numbers (E.164) of the service's WhatsApp senders now, for reading their history,
   * each once: its ChannelSenders of type WhatsApp, and its phone numbers that are
   * WhatsApp senders of the account. A phone number of the pool among `known` (senders
   * learnt before) counts without asking, so the account's senders are listed only for a
   * number of the pool that neither settles: two list reads (ChannelSenders and
   * PhoneNumbers, no FetchService) unless the pool holds a new phone number, three then.
   * A service the account lacks is `not_found`; a pool without WhatsApp senders, [].
   */
  listServiceWhatsappNumbers(
    c: TwilioCredentials,
    serviceSid: string,
    known: readonly string[],
  ): Promise<string[]>;
  /** `configured: false` when Twilio has no API for it (the sandbox): the URLs must be pasted in the console. */
  configureWebhooks(
    c: TwilioCredentials,
    sender: WhatsappSender,
    urls: { inboundUrl: string; statusUrl: string },
  ): Promise<{ configured: boolean }>;
  /** The sender's status and webhooks in one read (the number's webhooks); null for the sandbox (no API). */
  readSenderState(c: TwilioCredentials, sender: WhatsappSender): Promise<SenderState | null>;
  /** What the sender's (or number's) webhooks are now; null for the sandbox (no API). */
  readWebhooks(c: TwilioCredentials, sender: WhatsappSender): Promise<WebhookSettings | null>;
  /** Puts earlier settings back (null fields are cleared); `restored: false` for the sandbox. */
  restoreWebhooks(
    c: TwilioCredentials,
    sender: WhatsappSender,
    settings: WebhookSettings,
  ): Promise<{ restored: boolean }>;
  sendMessage(c: TwilioCredentials, m: OutboundWhatsappMessage): Promise<SentMessage>;
  /** Every template of the account with its WhatsApp approval (ContentAndApprovals, every page), oldest first. */
  listTemplates(c: TwilioCredentials): Promise<ContentTemplate[]>;
  /** Every matching message, newest first: Twilio's pages followed to the end. */
  listMessages(c: TwilioCredentials, filter: ListMessagesFilter): Promise<TwilioMessage[]>;
  /** The message's media (every page). */
  listMedia(c: TwilioCredentials, messageSid: string): Promise<TwilioMedia[]>;
  /** One message by SID; `not_found` when Twilio has none. */
  fetchMessage(c: TwilioCredentials, sid: string): Promise<TwilioMessage>;
}

/** Where Twilio serves the REST API, and so media content (a Media resource's `uri` is relative). */
export const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/** Twilio's shared WhatsApp sandbox number. */
export const TWILIO_SANDBOX_NUMBER = '+14155238886';
