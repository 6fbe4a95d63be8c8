import { TWILIO_SANDBOX_NUMBER } from '../../adapter/types.ts';
import type { RecipientBehaviour } from '../core/accounts.ts';
import type { SimulatorCore } from '../core/core.ts';
import type { MessageStatus, SimMessage } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What the simulated WhatsApp network decides about a message: the 24-hour
 * window, the sandbox's members, and how each recipient behaves.
 */
export class WhatsappRules {
  /** `${accountSid}|${senderE164}|${customerAddress}` -> last inbound time */
  readonly #conversations = new Map<string, number>();
  readonly #sandboxMembers = new Set<string>();
  readonly #recipientBehaviour = new Map<string, RecipientBehaviour>();
  readonly #core: SimulatorCore;

  constructor(core: SimulatorCore) {
    this.#core = core;
  }

  /** As if the customer had just written to the sender: opens WhatsApp's 24-hour window. */
  openConversation(accountSid: string, senderE164: string, customerAddress: string) {
    this.#conversations.set(`${accountSid}|${senderE164}|${customerAddress}`, this.#core.options.now());
  }

  addSandboxMember(accountSid: string, customerAddress: string) {
    this.#sandboxMembers.add(`${accountSid}|${customerAddress}`);
  }

  setRecipientBehaviour(accountSid: string, customerAddress: string | null, behaviour: RecipientBehaviour) {
    if (customerAddress === null) this.#core.accounts.require(accountSid).behaviour = behaviour;
    else this.#recipientBehaviour.set(`${accountSid}|${customerAddress}`, behaviour);
  }

  /** The statuses a new outbound message will go through after `queued`, by WhatsApp's rules. */
  plannedStatuses(message: SimMessage): { status: MessageStatus; errorCode?: number }[] {
    const sender = message.from.replace(/^whatsapp:/, '');
    if (message.from.startsWith('whatsapp:')) {
      if (
        sender === TWILIO_SANDBOX_NUMBER &&
        !this.#sandboxMembers.has(`${message.accountSid}|${message.to}`)
      ) {
        return [{ status: 'failed', errorCode: 63015 }];
      }
      const lastInbound = this.#conversations.get(`${message.accountSid}|${sender}|${message.to}`);
      const windowOpen = lastInbound !== undefined && this.#core.options.now() - lastInbound < DAY_MS;
      if (!windowOpen && message.contentSid === null) return [{ status: 'failed', errorCode: 63016 }];
    }
    const behaviour =
      this.#recipientBehaviour.get(`${message.accountSid}|${message.to}`) ??
      this.#core.accounts.require(message.accountSid).behaviour;
    if (behaviour === 'fail') return [{ status: 'failed', errorCode: 30008 }];
    if (behaviour === 'no_read') return [{ status: 'sent' }, { status: 'delivered' }];
    return [{ status: 'sent' }, { status: 'delivered' }, { status: 'read' }];
  }

  reset() {
    this.#conversations.clear();
    this.#sandboxMembers.clear();
    this.#recipientBehaviour.clear();
  }
}
