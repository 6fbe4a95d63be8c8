export { computeTwilioSignature } from '../signature.ts';
export type { SimIncomingNumber } from './accounts/numbers.ts';
export type { SimTemplate, TemplateApproval, TemplateInput, TemplateType } from './content/templates.ts';
export type { AccountStatus, RecipientBehaviour, SimAccount } from './core/accounts.ts';
export type { RetryPolicyName } from './core/connection-overrides.ts';
export { SimulatorError } from './core/errors.ts';
export type { InjectedFault } from './core/faults.ts';
export type { SimulatorOptions } from './core/options.ts';
export type { ApiRequestRecord, OaiViolation } from './core/request-log.ts';
export type { DeliveryAttempt, RetryPolicy, WebhookDelivery } from './core/webhooks.ts';
export type {
  InboundMessageInput,
  InboundResult,
  MessageStatus,
  SimMedia,
  SimMessage,
} from './messages/types.ts';
export type { OaiRequest } from './openapi/twilio-openapi.ts';
export { TwilioOpenApi } from './openapi/twilio-openapi.ts';
export type { SimSender } from './senders/product.ts';
export type { ServiceInput } from './services/product.ts';
export type { SimService } from './services/types.ts';
export { Simulator } from './simulator.ts';
export type { RunningTwilioSimulator, TwilioSimulatorOptions } from './start-twilio-simulator.ts';
export { buildTwilioSimulatorApp, startTwilioSimulator } from './start-twilio-simulator.ts';
