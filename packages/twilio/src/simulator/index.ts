export { computeTwilioSignature } from '../signature.ts';
export type { OaiRequest } from './oai.ts';
export { TwilioOpenApi } from './oai.ts';
export type {
  AccountStatus,
  ApiRequestRecord,
  InboundMessageInput,
  InboundResult,
  InjectedFault,
  MessageStatus,
  OaiViolation,
  RecipientBehaviour,
  SimAccount,
  SimIncomingNumber,
  SimMessage,
  SimSender,
  SimulatorOptions,
} from './simulator.ts';
export { Simulator, SimulatorError } from './simulator.ts';
export type { RunningTwilioSimulator, TwilioSimulatorOptions } from './start-twilio-simulator.ts';
export { buildTwilioSimulatorApp, startTwilioSimulator } from './start-twilio-simulator.ts';
export type { DeliveryAttempt, RetryPolicy, WebhookDelivery } from './webhook-delivery.ts';
