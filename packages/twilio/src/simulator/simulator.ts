import { TWILIO_SANDBOX_NUMBER } from '../adapter/types.ts';
import type { SimIncomingNumber } from './accounts/numbers.ts';
import { AccountsAndNumbers } from './accounts/product.ts';
import { ContentTemplates } from './content/product.ts';
import type { SimTemplate, TemplateApproval, TemplateInput } from './content/templates.ts';
import type { AccountStatus, RecipientBehaviour, SeedAccountInput, SimAccount } from './core/accounts.ts';
import { SimulatorCore } from './core/core.ts';
import { SimulatorError } from './core/errors.ts';
import type { InjectedFault } from './core/faults.ts';
import type { ResolvedSimulatorOptions, SimulatorOptions } from './core/options.ts';
import { updateOptions } from './core/options.ts';
import type { ApiRequestRecord, OaiViolation } from './core/request-log.ts';
import type { OperationHandler, SimulatedProduct } from './core/rest.ts';
import type { DeliveryFilter, WebhookDelivery } from './core/webhooks.ts';
import { Messages } from './messages/product.ts';
import type {
  InboundMessageInput,
  InboundResult,
  MessageStatus,
  OutboundMessageInput,
  SimMessage,
} from './messages/types.ts';
import { TwilioOpenApi } from './openapi/twilio-openapi.ts';
import { applyNumberWebhooks, applySenderState } from './senders/control.ts';
import type { SimSender } from './senders/product.ts';
import { Senders } from './senders/product.ts';
import type { ServiceInput } from './services/product.ts';
import { MessagingServices } from './services/product.ts';
import type { SimService } from './services/types.ts';

let sharedOpenApi: TwilioOpenApi | undefined;

/** Twilio's OpenAPI descriptions, read once per process. */
export function twilioOpenApi(): TwilioOpenApi {
  sharedOpenApi ??= TwilioOpenApi.load();
  return sharedOpenApi;
}

/**
 * Twilio, in memory: accounts, numbers, WhatsApp senders and messages, and the
 * webhooks Twilio would send about them. Each Twilio product is its own
 * module; this class is the one handle tests and the control API use.
 */
export class Simulator {
  readonly core: SimulatorCore;
  readonly accountsAndNumbers: AccountsAndNumbers;
  readonly whatsappSenders: Senders;
  readonly messaging: Messages;
  readonly content: ContentTemplates;
  readonly messagingServices: MessagingServices;
  /** Every product, in the order their REST operations are registered. */
  readonly products: readonly SimulatedProduct[];

  constructor(options: SimulatorOptions = {}) {
    this.core = new SimulatorCore(options);
    this.accountsAndNumbers = new AccountsAndNumbers(this.core);
    this.whatsappSenders = new Senders(this.core, twilioOpenApi);
    this.content = new ContentTemplates(this.core, twilioOpenApi);
    this.messagingServices = new MessagingServices(
      this.core,
      this.whatsappSenders,
      this.accountsAndNumbers.numbers,
    );
    this.messaging = new Messages(
      this.core,
      this.accountsAndNumbers.numbers,
      this.whatsappSenders,
      this.content,
      this.messagingServices,
    );
    this.products = [
      this.accountsAndNumbers,
      this.whatsappSenders,
      this.content,
      this.messagingServices,
      this.messaging,
    ];
  }

  get options(): ResolvedSimulatorOptions {
    return this.core.options;
  }
  get accounts(): Map<string, SimAccount> {
    return this.core.accounts.accounts;
  }
  get incomingNumbers(): Map<string, SimIncomingNumber> {
    return this.accountsAndNumbers.numbers.numbers;
  }
  get senders(): Map<string, SimSender> {
    return this.whatsappSenders.senders;
  }
  get templates(): Map<string, SimTemplate> {
    return this.content.templates;
  }
  get services(): Map<string, SimService> {
    return this.messagingServices.services;
  }

  /** The REST operations of every product, by operationId. */
  operations(): Record<string, OperationHandler> {
    return Object.assign({}, ...this.products.map((p) => p.operations)) as Record<string, OperationHandler>;
  }

  /** Changes behaviour switches at run time (retry policy, status pacing, duplicates, shuffling, autoAdvance). */
  configure(options: Omit<SimulatorOptions, 'now'>) {
    updateOptions(this.core.options, options);
  }

  // ── seeding ──────────────────────────────────────────────────────────────

  seedAccount(input: SeedAccountInput = {}): { sid: string; authToken: string } {
    return this.core.accounts.seed(input);
  }
  setAccountStatus(accountSid: string, status: AccountStatus) {
    this.core.accounts.setStatus(accountSid, status);
  }
  addIncomingNumber(accountSid: string, e164: string): SimIncomingNumber {
    return this.accountsAndNumbers.addIncomingNumber(accountSid, e164);
  }
  addWhatsappSender(accountSid: string, e164: string): SimSender {
    return this.whatsappSenders.add(accountSid, e164);
  }

  /**
   * Changes a sender as Twilio and Meta would (status, offline reasons, quality, messaging
   * limit) or as a console edit would (its webhook URLs); a bad field is a SimulatorError.
   */
  setSenderState(accountSid: string, senderSid: string, input: unknown): SimSender {
    const sender = this.senders.get(senderSid);
    if (sender?.accountSid !== accountSid)
      throw new SimulatorError(`No WhatsApp sender ${senderSid} in account ${accountSid}`);
    return applySenderState(sender, input);
  }
  /** Changes a phone number's SmsUrl / StatusCallback, as an edit in Twilio's console would. */
  setIncomingNumberWebhooks(accountSid: string, numberSid: string, input: unknown): SimIncomingNumber {
    const number = this.incomingNumbers.get(numberSid);
    if (number?.accountSid !== accountSid)
      throw new SimulatorError(`No phone number ${numberSid} in account ${accountSid}`);
    return applyNumberWebhooks(number, input);
  }

  /** A Content API template (HX…) with its WhatsApp approval (default `approved`). */
  addTemplate(accountSid: string, input: TemplateInput): SimTemplate {
    return this.content.add(accountSid, input);
  }
  /** Changes a template's WhatsApp approval, as Meta's review would. */
  setTemplateApproval(sid: string, approval: TemplateApproval, rejectionReason?: string): SimTemplate {
    return this.content.setApproval(sid, approval, rejectionReason);
  }

  /** A Messaging Service (MG…) with its WhatsApp senders; `useInboundWebhookOnNumber` is off by default. */
  addMessagingService(accountSid: string, input: ServiceInput = {}): SimService {
    return this.messagingServices.add(accountSid, input);
  }
  /** Attaches a WhatsApp sender (`+E164`, `whatsapp:+E164` or XE…) to a service; a new number becomes a sender. */
  addServiceSender(serviceSid: string, senderOrNumber: string): SimSender {
    return this.messagingServices.addSender(serviceSid, senderOrNumber);
  }

  /** The sandbox's webhooks are set in Twilio's console, never through the API. */
  setSandboxWebhook(accountSid: string, inboundUrl: string | null, statusUrl?: string | null) {
    const account = this.core.accounts.require(accountSid);
    account.sandbox.inboundUrl = inboundUrl;
    if (statusUrl !== undefined) account.sandbox.statusUrl = statusUrl;
  }

  joinSandbox(accountSid: string, customerAddress: string) {
    this.core.accounts.require(accountSid);
    this.messaging.rules.addSandboxMember(accountSid, customerAddress);
    this.openConversation(accountSid, TWILIO_SANDBOX_NUMBER, customerAddress);
  }

  /**
   * As if the customer had written to the sender, just now or at `lastInboundAt`: WhatsApp's
   * 24-hour window runs from then (a time 25 hours ago leaves the customer outside it).
   */
  openConversation(
    accountSid: string,
    senderE164: string,
    customerAddress: string,
    lastInboundAt?: Date | string,
  ) {
    const at = lastInboundAt === undefined ? undefined : new Date(lastInboundAt).getTime();
    if (at !== undefined && Number.isNaN(at)) {
      throw new SimulatorError(`lastInboundAt must be an ISO time, got ${String(lastInboundAt)}`);
    }
    this.messaging.rules.openConversation(
      accountSid,
      senderE164.replace(/^whatsapp:/, ''),
      customerAddress,
      at,
    );
  }
  setRecipientBehaviour(accountSid: string, customerAddress: string | null, behaviour: RecipientBehaviour) {
    this.messaging.rules.setRecipientBehaviour(accountSid, customerAddress, behaviour);
  }
  injectFault(fault: InjectedFault) {
    this.core.faults.inject(fault);
  }
  clearFaults() {
    this.core.faults.clear();
  }

  /** Forgets everything: accounts, numbers, messages, deliveries, violations. */
  reset() {
    this.core.reset();
    for (const product of this.products) product.reset();
  }

  // ── reading state ───────────────────────────────────────────────────────

  messages(accountSid?: string): SimMessage[] {
    return [...this.messaging.messages.values()].filter(
      (m) => accountSid === undefined || m.accountSid === accountSid,
    );
  }
  message(sid: string): SimMessage | undefined {
    return this.messaging.messages.get(sid);
  }
  deliveries(filter: DeliveryFilter = {}): WebhookDelivery[] {
    return this.core.webhooks.deliveries(filter);
  }
  /** Requests that departed from Twilio's OpenAPI description. */
  oaiViolations(): readonly OaiViolation[] {
    return this.core.log.violations;
  }
  clearOaiViolations() {
    this.core.log.violations.length = 0;
  }
  apiRequests(): readonly ApiRequestRecord[] {
    return this.core.log.requests;
  }
  /** Resolves when every webhook delivery and status step under way has finished. */
  waitForIdle(): Promise<void> {
    return this.core.webhooks.waitForIdle();
  }

  // ── Twilio's side of the conversation ───────────────────────────────────

  /** Whether the account may send from this address (`whatsapp:+…` or plain E.164). */
  ownsSender(accountSid: string, from: string): boolean {
    return this.messaging.addresses.ownsSender(accountSid, from);
  }
  /** Creates an outbound message as `queued` and starts its lifecycle. */
  createOutboundMessage(input: OutboundMessageInput): SimMessage {
    return this.messaging.createOutbound(input);
  }
  /** The statuses a new outbound message will go through after `queued`, by WhatsApp's rules. */
  plannedStatuses(message: SimMessage): { status: MessageStatus; errorCode?: number }[] {
    return this.messaging.rules.plannedStatuses(message);
  }
  /** Moves a message to `status` and sends its status callback (for step-by-step tests). */
  async advanceStatus(
    messageSid: string,
    status: MessageStatus,
    errorCode?: number,
  ): Promise<WebhookDelivery[]> {
    return this.messaging.advanceStatus(messageSid, status, errorCode);
  }
  deliverInbound(input: InboundMessageInput): Promise<InboundResult> {
    return this.messaging.deliverInbound(input);
  }
}
