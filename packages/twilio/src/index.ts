export { createTwilioAdapter } from './adapter/create-twilio-adapter.ts';
export type { TwilioAdapterErrorField, TwilioAdapterErrorKind } from './adapter/errors.ts';
export { describeTwilioError, TwilioAdapterError } from './adapter/errors.ts';
export { formatSeconds } from './adapter/map-twilio-failure.ts';
export type {
  OutboundWhatsappMessage,
  SentMessage,
  TwilioAdapter,
  TwilioAdapterOptions,
  TwilioApiCallOutcome,
  TwilioCredentials,
  VerifiedAccount,
  WebhookSettings,
  WhatsappSender,
} from './adapter/types.ts';
export { TWILIO_SANDBOX_NUMBER } from './adapter/types.ts';
export { computeTwilioSignature } from './signature.ts';
