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
}

/** Where a WhatsApp number lives in a Twilio account. */
export type WhatsappSender =
  /** A Senders API (Messaging v2) sender, `XE…`. */
  | { kind: 'sender'; sid: string }
  /** A phone number of the account (`PN…`) used as a WhatsApp sender. */
  | { kind: 'incoming_number'; sid: string }
  /** Twilio's shared sandbox number; its webhooks are set in the console only. */
  | { kind: 'sandbox'; sid: null };

export interface VerifiedAccount {
  accountSid: string;
  friendlyName: string;
  status: string;
  type: string;
}

export interface OutboundWhatsappMessage {
  /** The sender, E.164. */
  from: string;
  /** The recipient, `whatsapp:+…`. */
  to: string;
  body?: string;
  mediaUrls?: string[];
  statusCallback: string;
}

export interface SentMessage {
  sid: string;
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
}

export interface TwilioAdapter {
  /** Fetches the Account; suspended or closed accounts fail as `account_inactive`. */
  verifyCredentials(c: TwilioCredentials): Promise<VerifiedAccount>;
  /** Senders API first, then the account's phone numbers; the sandbox number needs no lookup. */
  findWhatsappSender(c: TwilioCredentials, e164: string): Promise<WhatsappSender>;
  /** `configured: false` when Twilio has no API for it (the sandbox): the URLs must be pasted in the console. */
  configureWebhooks(
    c: TwilioCredentials,
    sender: WhatsappSender,
    urls: { inboundUrl: string; statusUrl: string },
  ): Promise<{ configured: boolean }>;
  /** What the sender's (or number's) webhooks are now; null for the sandbox (no API). */
  readWebhooks(c: TwilioCredentials, sender: WhatsappSender): Promise<WebhookSettings | null>;
  /** Puts earlier settings back (null fields are cleared); `restored: false` for the sandbox. */
  restoreWebhooks(
    c: TwilioCredentials,
    sender: WhatsappSender,
    settings: WebhookSettings,
  ): Promise<{ restored: boolean }>;
  sendMessage(c: TwilioCredentials, m: OutboundWhatsappMessage): Promise<SentMessage>;
}

/** Twilio's shared WhatsApp sandbox number. */
export const TWILIO_SANDBOX_NUMBER = '+14155238886';
