import { TWILIO_SANDBOX_NUMBER } from '../../adapter/types.ts';
import type { SimTemplate } from '../content/templates.ts';
import { extraVariables } from '../content/templates.ts';
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
  readonly #templateOf: (accountSid: string, contentSid: string) => SimTemplate | undefined;

  constructor(
    core: SimulatorCore,
    templateOf: (accountSid: string, contentSid: string) => SimTemplate | undefined = () => undefined,
  ) {
    this.#core = core;
    this.#templateOf = templateOf;
  }

  /**
   * As if the customer had written to the sender at `at` (default now): WhatsApp's
   * 24-hour window runs from then. A time 25 hours ago places the customer outside it.
   */
  openConversation(accountSid: string, senderE164: string, customerAddress: string, at?: number) {
    this.#conversations.set(`${accountSid}|${senderE164}|${customerAddress}`, at ?? this.#core.options.now());
  }

  /** When the customer last wrote to the sender (ms), if ever. */
  lastInbound(accountSid: string, senderE164: string, customerAddress: string): number | undefined {
    return this.#conversations.get(`${accountSid}|${senderE164}|${customerAddress}`);
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
      const template =
        message.contentSid === null ? undefined : this.#templateOf(message.accountSid, message.contentSid);
      // 63028 "Number of parameters provided does not match the expected number of parameters"
      // (https://www.twilio.com/docs/api/errors/63028): Twilio maps it from WhatsApp's own error
      // (https://www.twilio.com/docs/whatsapp/api/error-code-mapping), so it comes back once WhatsApp
      // has the message, through the status callback. Missing variables are not an error: their samples are used.
      if (template && extraVariables(template, message.contentVariables ?? {}).length > 0) {
        return [{ status: 'failed', errorCode: 63028 }];
      }
      // Outside the window only a template WhatsApp approved goes through. An unapproved one (pending,
      // rejected, paused) is sent as a session message, so it fails like free text with 63016
      // (https://www.twilio.com/docs/api/errors/63016). 63027 "Template does not exist for a language and
      // locale" is the nearest more specific code, but Twilio documents it for templates sent with the wrong
      // parameters or unknown to WhatsApp, not for a Content template awaiting or refused approval.
      if (!windowOpen && template?.approval !== 'approved') return [{ status: 'failed', errorCode: 63016 }];
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
