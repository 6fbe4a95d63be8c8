import type { TwilioAdapterErrorField } from './errors.ts';
import { describeTwilioError, TwilioAdapterError } from './errors.ts';

/** What the `twilio` package throws for an HTTP answer: RestException (v2010) or TwilioServiceException (RFC 9457). */
interface TwilioHttpFailure {
  status: number;
  code?: number;
  message?: string;
  detail?: string;
}

function isTwilioHttpFailure(error: unknown): error is TwilioHttpFailure {
  return (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof (error as { status: unknown }).status === 'number' &&
    !('isAxiosError' in error)
  );
}

const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

function isNetworkFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ('isAxiosError' in error && (error as { isAxiosError: unknown }).isAxiosError === true) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && networkErrorCodes.has(code);
}

/**
 * Failures that prove the request never reached Twilio: nothing to connect to
 * (refused, DNS, no route to the host or its network).
 */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Failures that prove it only when they happened while connecting (Node's
 * `syscall: 'connect'`): a reset or a timeout later may come after Twilio
 * accepted the request.
 */
const notSentWhileConnecting = new Set(['ECONNRESET', 'ETIMEDOUT']);

/** Whether a network failure, or any error in its cause chain, proves nothing was sent. */
function provedNotSent(error: unknown): boolean {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if (provesNotSent(e)) return true;
  }
  return false;
}

function provesNotSent(error: object): boolean {
  const { code, syscall, errors } = error as { code?: unknown; syscall?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (notSentCodes.has(code)) return true;
    if (notSentWhileConnecting.has(code) && syscall === 'connect') return true;
  }
  // Node tries each address of the host (autoSelectFamily) and reports an
  // AggregateError: nothing was sent if every attempt failed to connect.
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every((e: unknown) => typeof e === 'object' && e !== null && provesNotSent(e))
  );
}

/** Our own deadline ran out (axios: ECONNABORTED, or ETIMEDOUT with clarified timeouts). */
const deadlineCodes = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

function isDeadline(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && deadlineCodes.has(code);
}

/** 10000 -> "10 s", 1500 -> "1.5 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

const fieldByCode: Record<number, TwilioAdapterErrorField> = {
  20003: 'authToken',
  21211: 'to',
  21606: 'whatsappNumber',
  21659: 'whatsappNumber',
  63007: 'whatsappNumber',
  21620: 'mediaUrls',
  63019: 'mediaUrls',
};

export interface FailureContext {
  accountSid: string;
  /** The per-request deadline, named in the message when a call runs out of it. */
  timeoutMs?: number;
  /** The sentence for a 404 in this call, when the generic one would not say what is missing. */
  notFoundMessage?: string;
}

/** Turns anything the `twilio` package threw into the one typed error callers handle. */
export function mapTwilioFailure(error: unknown, context: FailureContext): TwilioAdapterError {
  if (error instanceof TwilioAdapterError) return error;
  if (isTwilioHttpFailure(error)) return fromHttpFailure(error, context);
  if (isNetworkFailure(error)) {
    const notSent = provedNotSent(error);
    if (!notSent && isDeadline(error) && context.timeoutMs !== undefined) {
      return new TwilioAdapterError(
        'unreachable',
        `Twilio did not answer within ${formatSeconds(context.timeoutMs)}. Try again in a minute.`,
        { cause: error, requestMayHaveReachedTwilio: true, timedOutAfterMs: context.timeoutMs },
      );
    }
    return new TwilioAdapterError('unreachable', 'Twilio could not be reached. Try again in a minute.', {
      cause: error,
      requestMayHaveReachedTwilio: !notSent,
    });
  }
  return new TwilioAdapterError(
    'twilio_error',
    'Something went wrong while talking to Twilio. Try again in a minute.',
    { cause: error },
  );
}

function fromHttpFailure(failure: TwilioHttpFailure, context: FailureContext): TwilioAdapterError {
  const { status } = failure;
  const code = typeof failure.code === 'number' ? failure.code : undefined;
  const details = { httpStatus: status, ...(code === undefined ? {} : { twilioCode: code }) };
  const described = code === undefined ? undefined : describeTwilioError(code);
  const field = code === undefined ? undefined : fieldByCode[code];
  const withField = field === undefined ? details : { ...details, field };

  if (status === 401 && code === 20005) {
    return new TwilioAdapterError(
      'account_inactive',
      `Twilio account ${context.accountSid} is not active (20005).`,
      {
        ...details,
        field: 'accountSid',
      },
    );
  }
  if (status === 401 || code === 20003) {
    return new TwilioAdapterError(
      'rejected_credentials',
      describeTwilioError(20003) ?? 'Twilio rejected these credentials.',
      { ...details, field: 'authToken' },
    );
  }
  if (status === 429 || code === 20429) {
    return new TwilioAdapterError(
      'rate_limited',
      described ?? 'Twilio is rate limiting requests from this account. Try again in a minute.',
      withField,
    );
  }
  if (status === 404) {
    return new TwilioAdapterError(
      'not_found',
      context.notFoundMessage ?? described ?? 'Twilio could not find that resource.',
      withField,
    );
  }
  if (status >= 500) {
    return new TwilioAdapterError(
      'twilio_error',
      `Twilio had a problem answering (HTTP ${status}${code === undefined ? '' : `, error ${code}`}). Try again in a few minutes.`,
      details,
    );
  }
  const twilioSays = failure.detail ?? failure.message;
  return new TwilioAdapterError(
    'invalid_request',
    described ??
      (twilioSays === undefined || twilioSays === ''
        ? `Twilio refused the request (HTTP ${status}${code === undefined ? '' : `, error ${code}`}).`
        : `Twilio refused the request: ${twilioSays}${code === undefined ? '' : ` (${code})`}.`),
    withField,
  );
}
