import type { SimulatorCore } from '../core/core.ts';
import type { WebhookDelivery } from '../core/webhooks.ts';
import { newDelivery, sleep } from '../core/webhooks.ts';
import type { Addresses } from './addresses.ts';
import type { MessageStatus, SimMessage } from './types.ts';
import type { WhatsappRules } from './whatsapp-rules.ts';

const errorMessages: Record<number, string> = {
  30008: 'Unknown error',
  63015: 'Channel Sandbox can only send messages to phone numbers that have joined the Sandbox',
  63016:
    'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
  63028: 'Number of parameters provided does not match the expected number of parameters',
};

/** An outbound message's way from `queued` to its last status, and the status callbacks on the way. */
export class MessageLifecycle {
  readonly #core: SimulatorCore;
  readonly #addresses: Addresses;
  readonly #rules: WhatsappRules;

  constructor(core: SimulatorCore, addresses: Addresses, rules: WhatsappRules) {
    this.#core = core;
    this.#addresses = addresses;
    this.#rules = rules;
  }

  applyStatus(message: SimMessage, status: MessageStatus, errorCode?: number) {
    message.status = status;
    message.statusHistory.push(status);
    message.dateUpdated = new Date();
    if (status === 'sent' && message.dateSent === null) message.dateSent = message.dateUpdated;
    if (errorCode !== undefined) {
      message.errorCode = errorCode;
      message.errorMessage = errorMessages[errorCode] ?? 'Unknown error';
    }
  }

  /** Steps through the planned statuses, pausing `statusDelayMs` between them. */
  async run(message: SimMessage) {
    const { options } = this.#core;
    const steps = this.#rules.plannedStatuses(message);
    // A message sent through a Messaging Service is `accepted` (as the create answer says) until
    // Twilio has picked its sender.
    if (message.status === 'accepted') {
      await sleep(options.statusDelayMs);
      this.applyStatus(message, 'queued');
    }
    const held: Record<string, string>[] = [];
    const emit = async (params: Record<string, string>) => {
      if (options.shuffleStatusCallbacks) held.push(params);
      else await this.sendStatusCallback(message, params);
    };
    await emit(statusParams(message, 'queued'));
    for (const step of steps) {
      await sleep(options.statusDelayMs);
      this.applyStatus(message, step.status, step.errorCode);
      await emit(statusParams(message, step.status));
    }
    for (const params of shuffle(held)) await this.sendStatusCallback(message, params);
  }

  /** Moves a message to `status` and sends its status callback. */
  advance(message: SimMessage, status: MessageStatus, errorCode?: number): Promise<WebhookDelivery[]> {
    this.applyStatus(message, status, errorCode);
    return this.sendStatusCallback(message, statusParams(message, status));
  }

  async sendStatusCallback(message: SimMessage, params: Record<string, string>): Promise<WebhookDelivery[]> {
    const url = this.#addresses.statusUrl(message);
    if (url === null) return [];
    const account = this.#core.accounts.require(message.accountSid);
    const idempotencyToken = `${account.sid}-${message.sid}-${params.MessageStatus}`;
    const sent: WebhookDelivery[] = [];
    for (let copy = 0; copy <= this.#core.options.duplicateStatusCallbacks; copy++) {
      const delivery = newDelivery({
        kind: 'status',
        accountSid: account.sid,
        messageSid: message.sid,
        url,
        params,
        authToken: account.authToken,
        idempotencyToken,
      });
      sent.push(await this.#core.webhooks.send(delivery, account.authToken));
    }
    return sent;
  }
}

/** The parameters of a WhatsApp status callback, as Twilio sends them. */
function statusParams(message: SimMessage, status: MessageStatus): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: '2010-04-01',
    ChannelPrefix: 'whatsapp',
    ChannelToAddress: message.to.replace(/^whatsapp:/, ''),
    From: message.from,
    MessageSid: message.sid,
    MessageStatus: status,
    SmsSid: message.sid,
    SmsStatus: status,
    StructuredMessage: 'false',
    To: message.to,
  };
  if (message.messagingServiceSid !== null) params.MessagingServiceSid = message.messagingServiceSid;
  if ((status === 'failed' || status === 'undelivered') && message.errorCode !== null) {
    params.ErrorCode = String(message.errorCode);
    params.ErrorMessage = message.errorMessage ?? 'Unknown error';
  }
  return params;
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
