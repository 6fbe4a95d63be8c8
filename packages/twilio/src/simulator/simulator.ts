import { TWILIO_SANDBOX_NUMBER } from '../adapter/types.ts';
import { e164Pattern, newAuthToken, newSid, whatsappAddressPattern } from './ids.ts';
import type { RetryPolicy, WebhookDelivery } from './webhook-delivery.ts';
import { defaultRetryPolicy, newDelivery, sendWebhook, sleep } from './webhook-delivery.ts';

export type AccountStatus = 'active' | 'suspended' | 'closed';
/** How the simulated WhatsApp network treats messages to a recipient. */
export type RecipientBehaviour = 'deliver' | 'no_read' | 'fail';
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered' | 'received';

export interface SimAccount {
  sid: string;
  authToken: string;
  friendlyName: string;
  status: AccountStatus;
  type: 'Full' | 'Trial';
  dateCreated: Date;
  dateUpdated: Date;
  sandbox: { keyword: string; inboundUrl: string | null; statusUrl: string | null };
  behaviour: RecipientBehaviour;
}

export interface SimIncomingNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  smsUrl: string | null;
  smsMethod: 'GET' | 'POST';
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  dateCreated: Date;
  dateUpdated: Date;
}

export interface SimSenderWebhook {
  callback_url: string | null;
  callback_method: string | null;
  fallback_url: string | null;
  fallback_method: string | null;
  status_callback_url: string | null;
  status_callback_method: string | null;
}

export interface SimSender {
  sid: string;
  accountSid: string;
  /** `whatsapp:+E164` */
  senderId: string;
  status: 'ONLINE';
  webhook: SimSenderWebhook;
}

export interface SimMessage {
  sid: string;
  accountSid: string;
  direction: 'inbound' | 'outbound-api';
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  statusCallback: string | null;
  contentSid: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  /** Every status the message went through, in order. */
  statusHistory: MessageStatus[];
}

export interface OaiViolation {
  method: string;
  path: string;
  operationId: string | undefined;
  problems: string[];
}

export interface ApiRequestRecord {
  method: string;
  path: string;
  operationId: string | undefined;
  /** Undefined until the simulator has answered. */
  status: number | undefined;
}

/** A canned answer for the next REST calls: a Twilio error, or a hang. */
export interface InjectedFault {
  /** Only calls to this operation (e.g. 'FetchAccount'); all when absent. */
  operationId?: string;
  status?: number;
  code?: number;
  /** Hold the answer this long before answering (or, without `status`, before the normal answer). */
  delayMs?: number;
  /** How many calls it applies to; default 1. */
  count?: number;
}

export interface InboundMessageInput {
  /** The sender's number, E.164 (or `whatsapp:+…`). */
  to: string;
  /** The customer, `whatsapp:+…`. */
  from: string;
  /** Required for the shared sandbox number; otherwise found from the number. */
  accountSid?: string;
  body?: string;
  media?: { url: string; contentType: string }[];
  profileName?: string;
  location?: { latitude: number; longitude: number; address?: string; label?: string };
  buttonPayload?: string;
  buttonText?: string;
  messagingServiceSid?: string;
  /** Deliver this many extra copies of the same webhook (same MessageSid, same idempotency token). */
  duplicates?: number;
}

export interface InboundResult {
  messageSid: string;
  /** True when the message was a sandbox `join <keyword>`: Twilio consumes it, nothing is delivered. */
  joinedSandbox: boolean;
  deliveries: WebhookDelivery[];
}

export interface SimulatorOptions {
  retry?: Partial<RetryPolicy>;
  /** Pause between the status steps of an outbound message. Default 5 ms. */
  statusDelayMs?: number;
  /** Move outbound messages through their statuses by themselves. Default true. */
  autoAdvance?: boolean;
  /** Send each status callback this many extra times. Default 0. */
  duplicateStatusCallbacks?: number;
  /** Send a message's status callbacks in a random order. Default false. */
  shuffleStatusCallbacks?: boolean;
  /** The clock for the 24-hour window. */
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const errorMessages: Record<number, string> = {
  30008: 'Unknown error',
  63015: 'Channel Sandbox can only send messages to phone numbers that have joined the Sandbox',
  63016:
    'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
};

export class SimulatorError extends Error {
  override name = 'SimulatorError';
}

/**
 * Twilio, in memory: accounts, numbers, WhatsApp senders and messages, and the
 * webhooks Twilio would send about them.
 */
export class Simulator {
  readonly accounts = new Map<string, SimAccount>();
  readonly incomingNumbers = new Map<string, SimIncomingNumber>();
  readonly senders = new Map<string, SimSender>();
  readonly #messages = new Map<string, SimMessage>();
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #violations: OaiViolation[] = [];
  readonly #requests: ApiRequestRecord[] = [];
  readonly #faults: (InjectedFault & { remaining: number })[] = [];
  /** `${accountSid}|${senderE164}|${customerAddress}` -> last inbound time */
  readonly #conversations = new Map<string, number>();
  readonly #sandboxMembers = new Set<string>();
  readonly #recipientBehaviour = new Map<string, RecipientBehaviour>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly options: Required<Omit<SimulatorOptions, 'retry'>> & { retry: RetryPolicy };

  constructor(options: SimulatorOptions = {}) {
    this.options = {
      retry: { ...defaultRetryPolicy, ...options.retry },
      statusDelayMs: options.statusDelayMs ?? 5,
      autoAdvance: options.autoAdvance ?? true,
      duplicateStatusCallbacks: options.duplicateStatusCallbacks ?? 0,
      shuffleStatusCallbacks: options.shuffleStatusCallbacks ?? false,
      now: options.now ?? Date.now,
    };
  }

  /** Changes behaviour switches at run time (retry policy, status pacing, duplicates, shuffling, autoAdvance). */
  configure(options: Omit<SimulatorOptions, 'now'>) {
    if (options.retry) this.options.retry = { ...this.options.retry, ...options.retry };
    if (options.statusDelayMs !== undefined) this.options.statusDelayMs = options.statusDelayMs;
    if (options.autoAdvance !== undefined) this.options.autoAdvance = options.autoAdvance;
    if (options.duplicateStatusCallbacks !== undefined) {
      this.options.duplicateStatusCallbacks = options.duplicateStatusCallbacks;
    }
    if (options.shuffleStatusCallbacks !== undefined) {
      this.options.shuffleStatusCallbacks = options.shuffleStatusCallbacks;
    }
  }

  // ── seeding ──────────────────────────────────────────────────────────────

  seedAccount(
    input: {
      sid?: string;
      authToken?: string;
      status?: AccountStatus;
      friendlyName?: string;
      sandboxKeyword?: string;
    } = {},
  ): { sid: string; authToken: string } {
    const sid = input.sid ?? newSid('AC');
    if (!/^AC[0-9a-f]{32}$/.test(sid))
      throw new SimulatorError(`${sid} is not an Account SID (AC + 32 lowercase hex)`);
    const now = new Date();
    const existing = this.accounts.get(sid);
    if (existing) {
      // Seeding a known SID again changes it in place (e.g. a rotated token) and keeps its numbers and sandbox.
      if (input.authToken !== undefined) existing.authToken = input.authToken;
      if (input.status !== undefined) existing.status = input.status;
      if (input.friendlyName !== undefined) existing.friendlyName = input.friendlyName;
      if (input.sandboxKeyword !== undefined) existing.sandbox.keyword = input.sandboxKeyword;
      existing.dateUpdated = now;
      return { sid, authToken: existing.authToken };
    }
    const account: SimAccount = {
      sid,
      authToken: input.authToken ?? newAuthToken(),
      friendlyName: input.friendlyName ?? `Simulated account ${sid.slice(-6)}`,
      status: input.status ?? 'active',
      type: 'Full',
      dateCreated: now,
      dateUpdated: now,
      sandbox: { keyword: input.sandboxKeyword ?? 'simulated-sandbox', inboundUrl: null, statusUrl: null },
      behaviour: 'deliver',
    };
    this.accounts.set(sid, account);
    return { sid, authToken: account.authToken };
  }

  setAccountStatus(accountSid: string, status: AccountStatus) {
    const account = this.#account(accountSid);
    account.status = status;
    account.dateUpdated = new Date();
  }

  addIncomingNumber(accountSid: string, e164: string): SimIncomingNumber {
    this.#account(accountSid);
    assertE164(e164);
    const now = new Date();
    const number: SimIncomingNumber = {
      sid: newSid('PN'),
      accountSid,
      phoneNumber: e164,
      friendlyName: e164,
      smsUrl: null,
      smsMethod: 'POST',
      statusCallback: null,
      statusCallbackMethod: 'POST',
      dateCreated: now,
      dateUpdated: now,
    };
    this.incomingNumbers.set(number.sid, number);
    return number;
  }

  addWhatsappSender(accountSid: string, e164: string): SimSender {
    this.#account(accountSid);
    assertE164(e164);
    const sender: SimSender = {
      sid: newSid('XE'),
      accountSid,
      senderId: `whatsapp:${e164}`,
      status: 'ONLINE',
      webhook: {
        callback_url: null,
        callback_method: null,
        fallback_url: null,
        fallback_method: null,
        status_callback_url: null,
        status_callback_method: null,
      },
    };
    this.senders.set(sender.sid, sender);
    return sender;
  }

  /** The sandbox's webhooks are set in Twilio's console, never through the API. */
  setSandboxWebhook(accountSid: string, inboundUrl: string | null, statusUrl?: string | null) {
    const account = this.#account(accountSid);
    account.sandbox.inboundUrl = inboundUrl;
    if (statusUrl !== undefined) account.sandbox.statusUrl = statusUrl;
  }

  joinSandbox(accountSid: string, customerAddress: string) {
    this.#account(accountSid);
    this.#sandboxMembers.add(`${accountSid}|${customerAddress}`);
    this.openConversation(accountSid, TWILIO_SANDBOX_NUMBER, customerAddress);
  }

  /** As if the customer had just written to the sender: opens WhatsApp's 24-hour window. */
  openConversation(accountSid: string, senderE164: string, customerAddress: string) {
    this.#conversations.set(`${accountSid}|${senderE164}|${customerAddress}`, this.options.now());
  }

  setRecipientBehaviour(accountSid: string, customerAddress: string | null, behaviour: RecipientBehaviour) {
    if (customerAddress === null) this.#account(accountSid).behaviour = behaviour;
    else this.#recipientBehaviour.set(`${accountSid}|${customerAddress}`, behaviour);
  }

  injectFault(fault: InjectedFault) {
    this.#faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clearFaults() {
    this.#faults.length = 0;
  }

  /** Forgets everything: accounts, numbers, messages, deliveries, violations. */
  reset() {
    this.accounts.clear();
    this.incomingNumbers.clear();
    this.senders.clear();
    this.#messages.clear();
    this.#deliveries.length = 0;
    this.#violations.length = 0;
    this.#requests.length = 0;
    this.#faults.length = 0;
    this.#conversations.clear();
    this.#sandboxMembers.clear();
    this.#recipientBehaviour.clear();
  }

  // ── reading state ───────────────────────────────────────────────────────

  messages(accountSid?: string): SimMessage[] {
    return [...this.#messages.values()].filter(
      (m) => accountSid === undefined || m.accountSid === accountSid,
    );
  }

  message(sid: string): SimMessage | undefined {
    return this.#messages.get(sid);
  }

  deliveries(filter: { accountSid?: string; messageSid?: string; kind?: 'inbound' | 'status' } = {}) {
    return this.#deliveries.filter(
      (d) =>
        (filter.accountSid === undefined || d.accountSid === filter.accountSid) &&
        (filter.messageSid === undefined || d.messageSid === filter.messageSid) &&
        (filter.kind === undefined || d.kind === filter.kind),
    );
  }

  /** Requests that departed from Twilio's OpenAPI description. */
  oaiViolations(): readonly OaiViolation[] {
    return this.#violations;
  }

  clearOaiViolations() {
    this.#violations.length = 0;
  }

  apiRequests(): readonly ApiRequestRecord[] {
    return this.#requests;
  }

  /** Resolves when every webhook delivery and status step under way has finished. */
  async waitForIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // ── used by the REST routes ─────────────────────────────────────────────

  recordViolation(violation: OaiViolation) {
    this.#violations.push(violation);
  }

  recordRequest(record: ApiRequestRecord) {
    this.#requests.push(record);
  }

  takeFault(operationId: string | undefined): InjectedFault | undefined {
    const index = this.#faults.findIndex((f) => f.operationId === undefined || f.operationId === operationId);
    if (index === -1) return undefined;
    const fault = this.#faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  /** Whether the account may send from this address (`whatsapp:+…` or plain E.164). */
  ownsSender(accountSid: string, from: string): boolean {
    const e164 = from.replace(/^whatsapp:/, '');
    if (from.startsWith('whatsapp:')) {
      if (e164 === TWILIO_SANDBOX_NUMBER) return true;
      return (
        [...this.senders.values()].some((s) => s.accountSid === accountSid && s.senderId === from) ||
        this.#numberOf(accountSid, e164) !== undefined
      );
    }
    return this.#numberOf(accountSid, e164) !== undefined;
  }

  /** Creates an outbound message as `queued` and starts its lifecycle. */
  createOutboundMessage(input: {
    accountSid: string;
    from: string;
    to: string;
    body: string;
    mediaUrls: string[];
    statusCallback: string | null;
    contentSid: string | null;
  }): SimMessage {
    const now = new Date();
    const message: SimMessage = {
      sid: newSid('SM'),
      accountSid: input.accountSid,
      direction: 'outbound-api',
      from: input.from,
      to: input.to,
      body: input.body,
      mediaUrls: input.mediaUrls,
      status: 'queued',
      errorCode: null,
      errorMessage: null,
      statusCallback: input.statusCallback,
      contentSid: input.contentSid,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
      statusHistory: ['queued'],
    };
    this.#messages.set(message.sid, message);
    if (this.options.autoAdvance) this.#track(this.#runLifecycle(message));
    return message;
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
      const windowOpen = lastInbound !== undefined && this.options.now() - lastInbound < DAY_MS;
      if (!windowOpen && message.contentSid === null) return [{ status: 'failed', errorCode: 63016 }];
    }
    const behaviour =
      this.#recipientBehaviour.get(`${message.accountSid}|${message.to}`) ??
      this.#account(message.accountSid).behaviour;
    if (behaviour === 'fail') return [{ status: 'failed', errorCode: 30008 }];
    if (behaviour === 'no_read') return [{ status: 'sent' }, { status: 'delivered' }];
    return [{ status: 'sent' }, { status: 'delivered' }, { status: 'read' }];
  }

  /** Moves a message to `status` and sends its status callback (for step-by-step tests). */
  async advanceStatus(
    messageSid: string,
    status: MessageStatus,
    errorCode?: number,
  ): Promise<WebhookDelivery[]> {
    const message = this.#messages.get(messageSid);
    if (!message) throw new SimulatorError(`No message ${messageSid}`);
    this.#applyStatus(message, status, errorCode);
    const work = this.#sendStatusCallback(message, this.#statusParams(message, status));
    this.#track(work);
    return work;
  }

  // ── Twilio's side of the conversation ───────────────────────────────────

  async deliverInbound(input: InboundMessageInput): Promise<InboundResult> {
    const to = input.to.replace(/^whatsapp:/, '');
    assertE164(to);
    if (!whatsappAddressPattern.test(input.from)) {
      throw new SimulatorError(
        `from must be a WhatsApp address like whatsapp:+14155551234, got ${input.from}`,
      );
    }
    const target = this.#inboundTarget(to, input.accountSid);
    const account = this.#account(target.accountSid);
    const now = new Date();
    const media = input.media ?? [];
    const message: SimMessage = {
      sid: newSid(media.length > 0 ? 'MM' : 'SM'),
      accountSid: account.sid,
      direction: 'inbound',
      from: input.from,
      to: `whatsapp:${to}`,
      body: input.body ?? '',
      mediaUrls: media.map((m) => m.url),
      status: 'received',
      errorCode: null,
      errorMessage: null,
      statusCallback: null,
      contentSid: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: now,
      statusHistory: ['received'],
    };
    this.#messages.set(message.sid, message);
    this.openConversation(account.sid, to, input.from);

    if (to === TWILIO_SANDBOX_NUMBER) {
      const join = /^\s*join\s+(\S+)\s*$/i.exec(input.body ?? '');
      if (join?.[1]?.toLowerCase() === account.sandbox.keyword.toLowerCase()) {
        this.#sandboxMembers.add(`${account.sid}|${input.from}`);
        return { messageSid: message.sid, joinedSandbox: true, deliveries: [] };
      }
    }
    if (target.url === null) {
      throw new SimulatorError(`No inbound webhook URL is configured for ${to} in account ${account.sid}`);
    }
    const params = inboundParams(message, input, account.sid);
    const idempotencyToken = `${account.sid}-${message.sid}`;
    const copies = Array.from({ length: 1 + (input.duplicates ?? 0) }, () =>
      newDelivery({
        kind: 'inbound',
        accountSid: account.sid,
        messageSid: message.sid,
        url: target.url as string,
        params,
        authToken: account.authToken,
        idempotencyToken,
      }),
    );
    const work = (async () => {
      for (const delivery of copies) {
        this.#deliveries.push(delivery);
        await sendWebhook(delivery, account.authToken, this.options.retry);
      }
      return { messageSid: message.sid, joinedSandbox: false, deliveries: copies };
    })();
    this.#track(work);
    return work;
  }

  // ── internals ───────────────────────────────────────────────────────────

  #account(sid: string): SimAccount {
    const account = this.accounts.get(sid);
    if (!account) throw new SimulatorError(`No simulated account ${sid}`);
    return account;
  }

  #numberOf(accountSid: string, e164: string): SimIncomingNumber | undefined {
    return [...this.incomingNumbers.values()].find(
      (n) => n.accountSid === accountSid && n.phoneNumber === e164,
    );
  }

  #senderOf(accountSid: string, e164: string): SimSender | undefined {
    return [...this.senders.values()].find(
      (s) => s.accountSid === accountSid && s.senderId === `whatsapp:${e164}`,
    );
  }

  #inboundTarget(e164: string, accountSid: string | undefined): { accountSid: string; url: string | null } {
    if (e164 === TWILIO_SANDBOX_NUMBER) {
      if (accountSid === undefined)
        throw new SimulatorError('The sandbox number is shared: say which accountSid');
      return { accountSid, url: this.#account(accountSid).sandbox.inboundUrl };
    }
    const owner =
      accountSid ??
      [...this.senders.values()].find((s) => s.senderId === `whatsapp:${e164}`)?.accountSid ??
      [...this.incomingNumbers.values()].find((n) => n.phoneNumber === e164)?.accountSid;
    if (owner === undefined)
      throw new SimulatorError(`${e164} is not a number or sender of any simulated account`);
    const url =
      this.#senderOf(owner, e164)?.webhook.callback_url ?? this.#numberOf(owner, e164)?.smsUrl ?? null;
    return { accountSid: owner, url };
  }

  #statusUrl(message: SimMessage): string | null {
    if (message.statusCallback !== null) return message.statusCallback;
    const e164 = message.from.replace(/^whatsapp:/, '');
    if (e164 === TWILIO_SANDBOX_NUMBER) return this.#account(message.accountSid).sandbox.statusUrl;
    return (
      this.#senderOf(message.accountSid, e164)?.webhook.status_callback_url ??
      this.#numberOf(message.accountSid, e164)?.statusCallback ??
      null
    );
  }

  #applyStatus(message: SimMessage, status: MessageStatus, errorCode?: number) {
    message.status = status;
    message.statusHistory.push(status);
    message.dateUpdated = new Date();
    if (status === 'sent' && message.dateSent === null) message.dateSent = message.dateUpdated;
    if (errorCode !== undefined) {
      message.errorCode = errorCode;
      message.errorMessage = errorMessages[errorCode] ?? 'Unknown error';
    }
  }

  async #runLifecycle(message: SimMessage) {
    const steps = this.plannedStatuses(message);
    const held: Record<string, string>[] = [];
    const emit = async (params: Record<string, string>) => {
      if (this.options.shuffleStatusCallbacks) held.push(params);
      else await this.#sendStatusCallback(message, params);
    };
    await emit(this.#statusParams(message, 'queued'));
    for (const step of steps) {
      await sleep(this.options.statusDelayMs);
      this.#applyStatus(message, step.status, step.errorCode);
      await emit(this.#statusParams(message, step.status));
    }
    for (const params of shuffle(held)) await this.#sendStatusCallback(message, params);
  }

  async #sendStatusCallback(message: SimMessage, params: Record<string, string>): Promise<WebhookDelivery[]> {
    const url = this.#statusUrl(message);
    if (url === null) return [];
    const account = this.#account(message.accountSid);
    const idempotencyToken = `${account.sid}-${message.sid}-${params.MessageStatus}`;
    const sent: WebhookDelivery[] = [];
    for (let copy = 0; copy <= this.options.duplicateStatusCallbacks; copy++) {
      const delivery = newDelivery({
        kind: 'status',
        accountSid: account.sid,
        messageSid: message.sid,
        url,
        params,
        authToken: account.authToken,
        idempotencyToken,
      });
      this.#deliveries.push(delivery);
      sent.push(await sendWebhook(delivery, account.authToken, this.options.retry));
    }
    return sent;
  }

  /** The parameters of a WhatsApp status callback, as Twilio sends them. */
  #statusParams(message: SimMessage, status: MessageStatus): Record<string, string> {
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
    if ((status === 'failed' || status === 'undelivered') && message.errorCode !== null) {
      params.ErrorCode = String(message.errorCode);
      params.ErrorMessage = message.errorMessage ?? 'Unknown error';
    }
    return params;
  }

  #track<T>(work: Promise<T>) {
    const tracked = work.finally(() => this.#pending.delete(tracked));
    // Failures surface to whoever awaits `work`; the tracker only needs completion.
    tracked.catch(() => undefined);
    this.#pending.add(tracked);
  }
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
    MessageType: input.location
      ? 'location'
      : input.buttonPayload
        ? 'button'
        : media.length > 0
          ? mediaType(media)
          : 'text',
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

function mediaType(media: { contentType: string }[]): string {
  const kind = media[0]?.contentType.split('/')[0];
  if (kind === 'image' || kind === 'video' || kind === 'audio') return kind;
  return 'document';
}

function assertE164(e164: string) {
  if (!e164Pattern.test(e164)) throw new SimulatorError(`${e164} is not an E.164 number like +14155551234`);
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
