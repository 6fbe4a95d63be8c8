import type { IncomingNumbers } from '../accounts/numbers.ts';
import type { ContentTemplates } from '../content/product.ts';
import { renderTemplate } from '../content/templates.ts';
import type { SimulatorCore } from '../core/core.ts';
import { SimulatorError } from '../core/errors.ts';
import { newSid } from '../core/ids.ts';
import type { OperationHandler, SimulatedProduct } from '../core/rest.ts';
import { notFound, ok, rejectIfInvalid } from '../core/rest.ts';
import type { WebhookDelivery } from '../core/webhooks.ts';
import type { Senders } from '../senders/product.ts';
import type { MessagingServices } from '../services/product.ts';
import { Addresses } from './addresses.ts';
import { readCreateMessage } from './create-message.ts';
import { InboundMessages } from './inbound.ts';
import { MessageLifecycle } from './lifecycle.ts';
import { listMedia, listMessages } from './listing.ts';
import { messageResource } from './resources.ts';
import type {
  InboundMessageInput,
  InboundResult,
  MessageStatus,
  OutboundMessageInput,
  SimMessage,
} from './types.ts';
import { WhatsappRules } from './whatsapp-rules.ts';

/** v2010 Messages: outbound messages and their statuses, inbound ones and their webhooks. */
export class Messages implements SimulatedProduct {
  readonly messages = new Map<string, SimMessage>();
  readonly addresses: Addresses;
  readonly rules: WhatsappRules;
  readonly #core: SimulatorCore;
  readonly #lifecycle: MessageLifecycle;
  readonly #inbound: InboundMessages;
  readonly #templates: ContentTemplates;
  readonly #services: MessagingServices;

  constructor(
    core: SimulatorCore,
    numbers: IncomingNumbers,
    senders: Senders,
    templates: ContentTemplates,
    services: MessagingServices,
  ) {
    this.#core = core;
    this.#templates = templates;
    this.#services = services;
    this.addresses = new Addresses(core.accounts, numbers, senders, services);
    this.rules = new WhatsappRules(core, (accountSid, sid) => templates.of(accountSid, sid));
    this.#lifecycle = new MessageLifecycle(core, this.addresses, this.rules);
    this.#inbound = new InboundMessages(core, this.addresses, this.rules, (m) => this.messages.set(m.sid, m));
  }

  /** Creates an outbound message as `queued` and starts its lifecycle. */
  createOutbound(input: OutboundMessageInput): SimMessage {
    const now = new Date();
    const template =
      input.contentSid === null ? undefined : this.#templates.of(input.accountSid, input.contentSid);
    // With a template, the customer reads the template's text and media, its variables filled in.
    const content = template ? renderTemplate(template, input.contentVariables ?? {}) : input;
    const message: SimMessage = {
      ...input,
      body: content.body,
      mediaUrls: content.mediaUrls,
      contentVariables: input.contentVariables ?? null,
      messagingServiceSid: input.messagingServiceSid ?? null,
      sid: newSid('SM'),
      media: content.mediaUrls.map((url) => ({
        sid: newSid('ME'),
        url,
        contentType: null,
        dateCreated: now,
      })),
      direction: 'outbound-api',
      // Twilio answers a send through a Messaging Service `accepted`, then `queued` once it picked the sender.
      status: input.messagingServiceSid ? 'accepted' : 'queued',
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
      statusHistory: [input.messagingServiceSid ? 'accepted' : 'queued'],
    };
    this.messages.set(message.sid, message);
    if (this.#core.options.autoAdvance) this.#core.webhooks.track(this.#lifecycle.run(message));
    return message;
  }

  /** Moves a message to `status` and sends its status callback (for step-by-step tests). */
  advanceStatus(messageSid: string, status: MessageStatus, errorCode?: number): Promise<WebhookDelivery[]> {
    const message = this.messages.get(messageSid);
    if (!message) throw new SimulatorError(`No message ${messageSid}`);
    const work = this.#lifecycle.advance(message, status, errorCode);
    this.#core.webhooks.track(work);
    return work;
  }

  deliverInbound(input: InboundMessageInput): Promise<InboundResult> {
    return this.#inbound.deliver(input);
  }

  /**
   * The WhatsApp sender a Messaging Service sends from: the one this customer wrote to last
   * (so a reply stays in the customer's conversation, as Sticky Sender keeps it), else the first one.
   */
  #pickServiceSender(accountSid: string, serviceSid: string, to: string): string | undefined {
    const service = this.#services.require(serviceSid);
    if (!to.startsWith('whatsapp:')) {
      const number = service.phoneNumberSids.map((sid) => this.addresses.numberBySid(sid)).find((n) => n);
      return number?.phoneNumber;
    }
    const senders = this.#services.whatsappSenders(service).map((s) => s.senderId);
    const lastHeard = (senderId: string) =>
      this.rules.lastInbound(accountSid, senderId.replace(/^whatsapp:/, ''), to) ?? -1;
    return [...senders].sort((a, b) => lastHeard(b) - lastHeard(a))[0];
  }

  reset() {
    this.messages.clear();
    this.rules.reset();
  }

  readonly operations: Readonly<Record<string, OperationHandler>> = {
    CreateMessage: (ctx) => {
      const read = readCreateMessage(ctx, {
        addresses: this.addresses,
        templates: this.#templates,
        services: this.#services,
        pickServiceSender: (accountSid, serviceSid, to) =>
          this.#pickServiceSender(accountSid, serviceSid, to),
      });
      if ('refused' in read) return read.refused;
      return ok(201, messageResource(this.createOutbound(read.message)));
    },
    ListMessage: (ctx) =>
      rejectIfInvalid(ctx) ?? listMessages(ctx.account, this.messages.values(), ctx.query),
    ListMedia: (ctx) => {
      const message = this.messages.get(ctx.pathParams.MessageSid ?? '');
      if (!message || message.accountSid !== ctx.account.sid) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? listMedia(message, ctx.query);
    },
    FetchMessage: (ctx) => {
      const message = this.messages.get(ctx.pathParams.Sid ?? '');
      if (!message || message.accountSid !== ctx.account.sid) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, messageResource(message));
    },
  };
}
