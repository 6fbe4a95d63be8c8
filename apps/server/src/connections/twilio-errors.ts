import { TwilioAdapterError } from '@app/twilio';
import { TRPCError } from '@trpc/server';
import { FieldError } from '../trpc/trpc.ts';
import { CredentialDecryptionError } from '../vault/credential-vault.ts';

export const TWILIO_UNREACHABLE = 'Twilio could not be reached. Nothing was saved; try again.';
const REJECTED_CREDENTIALS =
  'Twilio rejected these credentials (20003). Check the Account SID and Auth Token.';

/**
 * The one place Twilio failures become API errors. Never INTERNAL_SERVER_ERROR for
 * something a person can act on: tRPC's error formatter hides those messages.
 */
export function twilioFailureToTRPCError(error: unknown): TRPCError {
  if (error instanceof CredentialDecryptionError) {
    return new TRPCError({
      code: 'PRECONDITION_FAILED',
      message:
        'The stored Auth Token for this connection cannot be read (its encryption key is gone). Enter the Auth Token again.',
      cause: new FieldError('authToken'),
    });
  }
  if (!(error instanceof TwilioAdapterError)) {
    return error instanceof TRPCError
      ? error
      : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: error });
  }
  const field = (name: string) => ({ cause: new FieldError(name) });
  switch (error.kind) {
    case 'rejected_credentials':
      return new TRPCError({ code: 'BAD_REQUEST', message: REJECTED_CREDENTIALS, ...field('authToken') });
    case 'account_inactive':
      return new TRPCError({ code: 'BAD_REQUEST', message: error.message, ...field('accountSid') });
    case 'number_not_found':
      return new TRPCError({ code: 'BAD_REQUEST', message: error.message, ...field('whatsappNumber') });
    case 'not_found':
    case 'invalid_request':
      return new TRPCError({
        code: 'BAD_REQUEST',
        message: error.message,
        ...(error.field ? field(error.field) : {}),
      });
    case 'rate_limited':
      return new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message });
    case 'unreachable':
      return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: TWILIO_UNREACHABLE });
    case 'twilio_error':
      return new TRPCError({ code: 'BAD_GATEWAY', message: error.message });
  }
}
