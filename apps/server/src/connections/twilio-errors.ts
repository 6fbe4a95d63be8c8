import { formatSeconds, TwilioAdapterError } from '@app/twilio';
import { DomainError, type DomainErrorKind } from '../domain-error.ts';

export const TWILIO_UNREACHABLE = 'Twilio could not be reached. Nothing was saved; try again.';
/** The connect flow's answer when Twilio accepted the connection but never answered. */
export function twilioDidNotAnswer(timeoutMs: number): string {
  return `Twilio did not answer within ${formatSeconds(timeoutMs)}; nothing was saved. Try again in a minute.`;
}
const REJECTED_CREDENTIALS =
  'Twilio rejected these credentials (20003). Check the Account SID and Auth Token.';
const REJECTED_STORED_CREDENTIALS =
  "Twilio rejected this connection's credentials (20003). An owner or admin can update the Auth Token in Settings.";

/**
 * What the call to Twilio was for. Connecting checks credentials an admin is
 * looking at; sending and syncing use the stored ones, so the same failure reads
 * differently.
 */
export type TwilioCallPurpose = 'connect' | 'send' | 'sync';

/** The form fields a sender can correct. */
const sendFields = new Set(['to', 'mediaUrls']);

/**
 * Twilio refused or failed a call. The one place adapter failures become errors
 * a person reads. Only Twilio's code is kept from the adapter's error: its cause
 * can carry the request, Authorization header included, and this error travels on
 * as the API error's cause.
 */
export class TwilioRefusalError extends DomainError {
  readonly kind: DomainErrorKind;
  readonly twilioCode: number | null;

  constructor(adapterError: TwilioAdapterError, purpose: TwilioCallPurpose) {
    super(refusalMessage(adapterError, purpose), { field: refusalField(adapterError, purpose) });
    this.kind = refusalKind(adapterError, purpose);
    this.twilioCode = adapterError.twilioCode ?? null;
  }
}

function refusalKind(error: TwilioAdapterError, purpose: TwilioCallPurpose): DomainErrorKind {
  switch (error.kind) {
    case 'rejected_credentials':
    case 'account_inactive':
      return purpose === 'connect' ? 'invalid' : 'unmet_condition';
    case 'number_not_found':
    case 'not_found':
    case 'invalid_request':
      return 'invalid';
    case 'rate_limited':
      return 'rate_limited';
    case 'unreachable':
      return 'unavailable';
    case 'twilio_error':
      return 'upstream_failed';
  }
}

function refusalMessage(error: TwilioAdapterError, purpose: TwilioCallPurpose): string {
  if (error.kind === 'rejected_credentials')
    return purpose === 'connect' ? REJECTED_CREDENTIALS : REJECTED_STORED_CREDENTIALS;
  if (error.kind === 'unreachable' && purpose === 'connect')
    return error.timedOutAfterMs === undefined
      ? TWILIO_UNREACHABLE
      : twilioDidNotAnswer(error.timedOutAfterMs);
  return error.message;
}

function refusalField(error: TwilioAdapterError, purpose: TwilioCallPurpose): string | undefined {
  // Syncing has no form: nothing to point at.
  if (purpose === 'sync') return undefined;
  if (purpose === 'send') {
    const correctable =
      error.kind === 'invalid_request' || error.kind === 'not_found' || error.kind === 'number_not_found';
    return correctable && error.field !== undefined && sendFields.has(error.field) ? error.field : undefined;
  }
  switch (error.kind) {
    case 'rejected_credentials':
      return 'authToken';
    case 'account_inactive':
      return 'accountSid';
    case 'number_not_found':
      // A Messaging Service without a WhatsApp sender points at the service's SID.
      return error.field === 'messagingServiceSid' ? error.field : 'whatsappNumber';
    case 'not_found':
    case 'invalid_request':
      return error.field;
    default:
      return undefined;
  }
}

/** Adapter failures as refusals; anything else is left as it is (an unexpected error stays one). */
export function asTwilioRefusal(error: unknown, purpose: TwilioCallPurpose): unknown {
  return error instanceof TwilioAdapterError ? new TwilioRefusalError(error, purpose) : error;
}
