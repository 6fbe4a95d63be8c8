import { TWILIO_SANDBOX_NUMBER } from '../../adapter/types.ts';
import type { IncomingNumbers } from '../accounts/numbers.ts';
import type { AccountBook } from '../core/accounts.ts';
import { SimulatorError } from '../core/errors.ts';
import type { Senders } from '../senders/product.ts';
import type { SimMessage } from './types.ts';

/** Which account owns an address, and where its webhooks go: senders first, then phone numbers. */
export class Addresses {
  readonly #accounts: AccountBook;
  readonly #numbers: IncomingNumbers;
  readonly #senders: Senders;

  constructor(accounts: AccountBook, numbers: IncomingNumbers, senders: Senders) {
    this.#accounts = accounts;
    this.#numbers = numbers;
    this.#senders = senders;
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

  /** The account an inbound message to `e164` belongs to, and its inbound webhook URL. */
  inboundTarget(e164: string, accountSid: string | undefined): { accountSid: string; url: string | null } {
    if (e164 === TWILIO_SANDBOX_NUMBER) {
      if (accountSid === undefined)
        throw new SimulatorError('The sandbox number is shared: say which accountSid');
      return { accountSid, url: this.#accounts.require(accountSid).sandbox.inboundUrl };
    }
    const owner = accountSid ?? this.#senders.ownerOf(e164) ?? this.#numbers.ownerOf(e164);
    if (owner === undefined)
      throw new SimulatorError(`${e164} is not a number or sender of any simulated account`);
    const url =
      this.#senders.of(owner, e164)?.webhook.callback_url ?? this.#numbers.of(owner, e164)?.smsUrl ?? null;
    return { accountSid: owner, url };
  }

  /** Where a message's status callbacks go: its own StatusCallback, else its sender's. */
  statusUrl(message: SimMessage): string | null {
    if (message.statusCallback !== null) return message.statusCallback;
    const e164 = message.from.replace(/^whatsapp:/, '');
    if (e164 === TWILIO_SANDBOX_NUMBER) return this.#accounts.require(message.accountSid).sandbox.statusUrl;
    return (
      this.#senders.of(message.accountSid, e164)?.webhook.status_callback_url ??
      this.#numbers.of(message.accountSid, e164)?.statusCallback ??
      null
    );
  }
}
