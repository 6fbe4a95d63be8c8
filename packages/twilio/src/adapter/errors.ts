export type TwilioAdapterErrorKind =
  | 'rejected_credentials'
  | 'account_inactive'
  | 'number_not_found'
  | 'not_found'
  | 'invalid_request'
  | 'unreachable'
  | 'rate_limited'
  | 'twilio_error';

export type TwilioAdapterErrorField =
  | 'accountSid'
  | 'authToken'
  | 'whatsappNumber'
  | 'messagingServiceSid'
  | 'to'
  | 'mediaUrls';

/**
 * The one error the adapter throws. `message` is written for the person who
 * can fix the problem (an admin in the settings screen); it never contains the
 * auth token.
 */
export class TwilioAdapterError extends Error {
  readonly kind: TwilioAdapterErrorKind;
  readonly twilioCode?: number;
  readonly httpStatus?: number;
  readonly field?: TwilioAdapterErrorField;
  /**
   * Whether Twilio may have received the request although no answer came back. False
   * for an answer (Twilio acted on it or refused it) and for failures that prove
   * nothing was sent (the connection could not even be opened); true for a timeout
   * or a reset after the request was written. A send failing with it true must not
   * be marked failed: Twilio may have accepted the message.
   */
  readonly requestMayHaveReachedTwilio: boolean;
  /**
   * Set when the failure is our deadline: Twilio accepted the connection but sent no
   * answer within this many milliseconds (an `unreachable` failure).
   */
  readonly timedOutAfterMs?: number;

  constructor(
    kind: TwilioAdapterErrorKind,
    message: string,
    details: {
      twilioCode?: number;
      httpStatus?: number;
      field?: TwilioAdapterErrorField;
      cause?: unknown;
      /** Default: true for `unreachable` (nothing proves otherwise), false for the rest. */
      requestMayHaveReachedTwilio?: boolean;
      timedOutAfterMs?: number;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TwilioAdapterError';
    this.kind = kind;
    if (details.twilioCode !== undefined) this.twilioCode = details.twilioCode;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.field !== undefined) this.field = details.field;
    this.requestMayHaveReachedTwilio = details.requestMayHaveReachedTwilio ?? kind === 'unreachable';
    if (details.timedOutAfterMs !== undefined) this.timedOutAfterMs = details.timedOutAfterMs;
  }
}

const twilioErrorDescriptions: Record<number, string> = {
  20003:
    'Twilio rejected these credentials (20003). Check the Account SID and Auth Token in the Twilio Console.',
  20005: 'This Twilio account is not active (20005). Reactivate it in the Twilio Console.',
  20404:
    'Twilio could not find that resource (20404). It may have been deleted or belong to another account.',
  20429: 'Twilio is rate limiting requests from this account (20429). Try again in a minute.',
  21211:
    'The recipient is not a valid phone number (21211). Use international format, e.g. whatsapp:+14155551234.',
  21408:
    'This account is not permitted to send to that region (21408). Enable it in the Twilio Console under Geo Permissions.',
  21602: 'The message has no body, media or template (21602). Add text, media or a template.',
  21606:
    'The From number is not a valid WhatsApp sender for this account (21606). Pick a number registered as a WhatsApp sender.',
  21610:
    'The recipient has opted out of messages from this sender (21610). They must send START to opt back in.',
  21620: 'A media URL is not valid (21620). Media URLs must be public http(s) URLs.',
  21659:
    'The From number is not a sender in this account (21659). Use a WhatsApp number that belongs to this Twilio account.',
  30003: 'The recipient could not be reached (30003): their phone may be off or unreachable.',
  30005: 'The recipient does not exist or is unknown to the carrier (30005). Check the number.',
  30006: 'The recipient cannot receive this message (30006), e.g. a landline or an unsupported network.',
  30007: 'The message was filtered as spam or blocked by the carrier (30007).',
  30008: 'The message could not be delivered for an unknown reason (30008). Try again later.',
  63003: 'The recipient is not a valid WhatsApp user (63003). Check that the number uses WhatsApp.',
  63007:
    'Twilio could not find a WhatsApp sender for the From number (63007). Check that the number is registered as a WhatsApp sender in this account.',
  63015:
    'The recipient has not joined the WhatsApp sandbox (63015). Ask them to send "join <your sandbox keyword>" to the sandbox number first.',
  63016:
    'The recipient has not messaged this number in the last 24 hours (63016). Outside that window WhatsApp only allows approved message templates.',
  63018: 'WhatsApp rate limit reached for this sender (63018). Slow down and try again shortly.',
  63019:
    'WhatsApp could not download the media (63019). Check that the media URL is public and the file type is supported.',
  63024: 'The recipient is not a valid WhatsApp user (63024).',
  63032: 'The recipient has blocked or stopped accepting messages from this business (63032).',
};

/** A sentence a person can act on for a Twilio error code, or undefined for codes we have no advice for. */
export function describeTwilioError(code: number): string | undefined {
  return twilioErrorDescriptions[code];
}
