import { TWILIO_SANDBOX_NUMBER } from '../../adapter/types.ts';
import type { SimAccount } from '../core/accounts.ts';
import type { SimulatorCore } from '../core/core.ts';
import { SimulatorError } from '../core/errors.ts';
import { assertE164, newSid, whatsappAddressPattern } from '../core/ids.ts';
import { newDelivery } from '../core/webhooks.ts';
import type { Addresses } from './addresses.ts';
import type { InboundMessageInput, InboundResult, SimMessage } from './types.ts';
import type { WhatsappRules } from './whatsapp-rules.ts';

/** A customer's message arriving at Twilio: stored, and posted to the account's inbound webhook. */
export class InboundMessages {
  readonly #core: SimulatorCore;
  readonly #addresses: Addresses;
  readonly #rules: WhatsappRules;
  readonly #store: (message: SimMessage) => void;

  constructor(
    core: SimulatorCore,
    addresses: Addresses,
    rules: WhatsappRules,
    store: (m: SimMessage) => void,
  ) {
    this.#core = core;
    this.#addresses = addresses;
    this.#rules = rules;
    this.#store = store;
  }

  async deliver(input: InboundMessageInput): Promise<InboundResult> {
    const to = input.to.replace(/^whatsapp:/, '');
    assertE164(to);
    if (!whatsappAddressPattern.test(input.from)) {
      throw new SimulatorError(
        `from must be a WhatsApp address like whatsapp:+14155551234, got ${input.from}`,
      );
    }
    const target = this.#addresses.inboundTarget(to, input.accountSid);
    const account = this.#core.accounts.require(target.accountSid);
    const messagingServiceSid = input.messagingServiceSid ?? target.messagingServiceSid ?? undefined;
    const message = receivedMessage(account, to, { ...input, messagingServiceSid });
    this.#store(message);
    this.#rules.openConversation(account.sid, to, input.from);
    if (to === TWILIO_SANDBOX_NUMBER && isJoin(input.body, account)) {
      this.#rules.addSandboxMember(account.sid, input.from);
      return { messageSid: message.sid, joinedSandbox: true, deliveries: [] };
    }
    if (target.url === null) {
      throw new SimulatorError(`No inbound webhook URL is configured for ${to} in account ${account.sid}`);
    }
    const work = this.#post(account, message, target.url, { ...input, messagingServiceSid });
    this.#core.webhooks.track(work);
    return work;
  }

  /** Posts the webhook, plus the duplicates asked for (same MessageSid, same idempotency token). */
  async #post(account: SimAccount, message: SimMessage, url: string, input: InboundMessageInput) {
    const params = inboundParams(message, input, account.sid);
    const idempotencyToken = `${account.sid}-${message.sid}`;
    const copies = Array.from({ length: 1 + (input.duplicates ?? 0) }, () =>
      newDelivery({
        kind: 'inbound',
        accountSid: account.sid,
        messageSid: message.sid,
        url,
        params,
        authToken: account.authToken,
        idempotencyToken,
      }),
    );
    for (const delivery of copies) await this.#core.webhooks.send(delivery, account.authToken);
    return { messageSid: message.sid, joinedSandbox: false, deliveries: copies };
  }
}

/** A sandbox `join <keyword>` with this account's keyword. */
function isJoin(body: string | undefined, account: SimAccount): boolean {
  const join = /^\s*join\s+(\S+)\s*$/i.exec(body ?? '');
  return join?.[1]?.toLowerCase() === account.sandbox.keyword.toLowerCase();
}

function receivedMessage(account: SimAccount, to: string, input: InboundMessageInput): SimMessage {
  const now = new Date();
  const media = input.media ?? [];
  return {
    sid: newSid(media.length > 0 ? 'MM' : 'SM'),
    accountSid: account.sid,
    direction: 'inbound',
    from: input.from,
    to: `whatsapp:${to}`,
    body: input.body ?? '',
    mediaUrls: media.map((m) => m.url),
    media: media.map((m) => ({
      sid: newSid('ME'),
      url: m.url,
      contentType: m.contentType,
      dateCreated: now,
    })),
    status: 'received',
    errorCode: null,
    errorMessage: null,
    statusCallback: null,
    contentSid: null,
    contentVariables: null,
    messagingServiceSid: input.messagingServiceSid ?? null,
    dateCreated: now,
    dateUpdated: now,
    dateSent: now,
    statusHistory: ['received'],
  };
}

/** The parameters of an inbound WhatsApp message webhook, as Twilio sends them. */
function inboundParams(
  message: SimMessage,
  input: InboundMessageInput,
  accountSid: string,
): Record<string, string> {
  const media = input.media ?? [];
  const params: Record<string, string> = {
    SmsMessageSid: message.sid,
    NumMedia: String(media.length),
    ProfileName: input.profileName ?? 'Simulated Customer',
    MessageType: messageType(input),
    SmsSid: message.sid,
    WaId: message.from.replace(/^whatsapp:\+/, ''),
    SmsStatus: 'received',
    Body: message.body,
    To: message.to,
    NumSegments: '1',
    ReferralNumMedia: '0',
    MessageSid: message.sid,
    AccountSid: accountSid,
    From: message.from,
    ApiVersion: '2010-04-01',
  };
  if (input.messagingServiceSid) params.MessagingServiceSid = input.messagingServiceSid;
  media.forEach((m, i) => {
    params[`MediaUrl${i}`] = m.url;
    params[`MediaContentType${i}`] = m.contentType;
  });
  if (input.location) {
    params.Latitude = String(input.location.latitude);
    params.Longitude = String(input.location.longitude);
    if (input.location.address !== undefined) params.Address = input.location.address;
    if (input.location.label !== undefined) params.Label = input.location.label;
  }
  if (input.buttonPayload !== undefined) params.ButtonPayload = input.buttonPayload;
  if (input.buttonText !== undefined) params.ButtonText = input.buttonText;
  return params;
}

/** WhatsApp's MessageType: location, button, the first medium's kind, or text. */
function messageType(input: InboundMessageInput): string {
  if (input.location) return 'location';
  if (input.buttonPayload) return 'button';
  const kind = input.media?.[0]?.contentType.split('/')[0];
  if (kind === undefined) return 'text';
  if (kind === 'image' || kind === 'video' || kind === 'audio') return kind;
  return 'document';
}
