import { TWILIO_SANDBOX_NUMBER } from '../../adapter/types.ts';
import type { IncomingNumbers } from '../accounts/numbers.ts';
import type { AccountBook } from '../core/accounts.ts';
import { SimulatorError } from '../core/errors.ts';
import type { Senders } from '../senders/product.ts';
import type { MessagingServices } from '../services/product.ts';
import type { SimService } from '../services/types.ts';
import type { SimMessage } from './types.ts';

/** Where an inbound message goes: the account, the webhook URL, and the service it came through. */
export interface InboundTarget {
  accountSid: string;
  url: string | null;
  /** The Messaging Service of the receiving sender, if it has one. */
  messagingServiceSid: string | null;
}

/** Which account owns an address, and where its webhooks go: senders first, then phone numbers. */
export class Addresses {
  readonly #accounts: AccountBook;
  readonly #numbers: IncomingNumbers;
  readonly #senders: Senders;
  readonly #services: MessagingServices;

  constructor(
    accounts: AccountBook,
    numbers: IncomingNumbers,
    senders: Senders,
    services: MessagingServices,
  ) {
    this.#accounts = accounts;
    this.#numbers = numbers;
    this.#senders = senders;
    this.#services = services;
  }

  /** A phone number by its SID. */
  numberBySid(sid: string) {
    return this.#numbers.numbers.get(sid);
  }

  /**
   * Whether the account may send from this address: for `whatsapp:+…`, one of
   * its WhatsApp senders or Twilio's sandbox (a phone number of the account that
   * is not registered as a WhatsApp sender does not count); for plain E.164, one of its phone numbers.
   */
  ownsSender(accountSid: string, from: string): boolean {
    const e164 = from.replace(/^whatsapp:/, '');
    if (!from.startsWith('whatsapp:')) return this.#numbers.of(accountSid, e164) !== undefined;
    return e164 === TWILIO_SANDBOX_NUMBER || this.#senders.of(accountSid, e164) !== undefined;
  }

  /**
   * The account an inbound message to `e164` belongs to, and its inbound webhook URL: the sender's
   * own, or, when the sender belongs to a Messaging Service with `use_inbound_webhook_on_number`
   * off, the service's `inbound_request_url`.
   */
  inboundTarget(e164: string, accountSid: string | undefined): InboundTarget {
    if (e164 === TWILIO_SANDBOX_NUMBER) {
      if (accountSid === undefined)
        throw new SimulatorError('The sandbox number is shared: say which accountSid');
      const url = this.#accounts.require(accountSid).sandbox.inboundUrl;
      return { accountSid, url, messagingServiceSid: null };
    }
    const owner = accountSid ?? this.#senders.ownerOf(e164) ?? this.#numbers.ownerOf(e164);
    if (owner === undefined)
      throw new SimulatorError(`${e164} is not a number or sender of any simulated account`);
    const sender = this.#senders.of(owner, e164);
    const number = this.#numbers.of(owner, e164);
    const service = this.#serviceOf(sender?.sid, number?.sid);
    if (service && !service.useInboundWebhookOnNumber) {
      return { accountSid: owner, url: service.inboundRequestUrl, messagingServiceSid: service.sid };
    }
    const url = sender?.webhook.callback_url ?? number?.smsUrl ?? null;
    return { accountSid: owner, url, messagingServiceSid: service?.sid ?? null };
  }

  #serviceOf(senderSid: string | undefined, numberSid: string | undefined): SimService | undefined {
    return (
      (senderSid === undefined ? undefined : this.#services.serviceOf(senderSid)) ??
      (numberSid === undefined ? undefined : this.#services.serviceOf(numberSid))
    );
  }

  /**
   * Where a message's status callbacks go: its own StatusCallback, else (sent through a
   * Messaging Service) the service's `status_callback`, else its sender's.
   */
  statusUrl(message: SimMessage): string | null {
    if (message.statusCallback !== null) return message.statusCallback;
    const service =
      message.messagingServiceSid === null
        ? undefined
        : this.#services.services.get(message.messagingServiceSid);
    if (service?.statusCallback) return service.statusCallback;
    const e164 = message.from.replace(/^whatsapp:/, '');
    if (e164 === TWILIO_SANDBOX_NUMBER) return this.#accounts.require(message.accountSid).sandbox.statusUrl;
    return (
      this.#senders.of(message.accountSid, e164)?.webhook.status_callback_url ??
      this.#numbers.of(message.accountSid, e164)?.statusCallback ??
      null
    );
  }
}
