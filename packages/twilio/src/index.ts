export {
  createTwilioAdapter,
  notAWhatsappSenderYet,
  serviceWithoutWhatsappSender,
} from './adapter/create-twilio-adapter.ts';
export type { TwilioAdapterErrorField, TwilioAdapterErrorKind } from './adapter/errors.ts';
export { describeTwilioError, TwilioAdapterError } from './adapter/errors.ts';
export { formatSeconds } from './adapter/map-twilio-failure.ts';
export type {
  ContentTemplate,
  ListMessagesFilter,
  MessagingServiceSenders,
  OutboundWhatsappMessage,
  SenderOfflineReason,
  SenderState,
  SentMessage,
  TwilioAdapter,
  TwilioAdapterOptions,
  TwilioApiCallOutcome,
  TwilioCredentials,
  TwilioMedia,
  TwilioMessage,
  VerifiedAccount,
  WebhookSettings,
  WhatsappSender,
} from './adapter/types.ts';
export { TWILIO_API_ORIGIN, TWILIO_SANDBOX_NUMBER } from './adapter/types.ts';
export { computeTwilioSignature } from './signature.ts';
