import twilio from 'twilio';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message.js';
import type { MessagingV2ChannelsSenderRequestsUpdate } from 'twilio/lib/rest/messaging/v2/channelsSender.js';
import { BaseUrlRequestClient } from './base-url-request-client.ts';
import { TwilioAdapterError } from './errors.ts';
import type { FailureContext } from './map-twilio-failure.ts';
import { mapTwilioFailure } from './map-twilio-failure.ts';
import type {
  ContentTemplate,
  MessagingServiceSenders,
  OutboundWhatsappMessage,
  SenderState,
  SentMessage,
  TwilioAdapter,
  TwilioAdapterOptions,
  TwilioCredentials,
  TwilioMedia,
  TwilioMessage,
  VerifiedAccount,
  WebhookSettings,
  WhatsappSender,
} from './types.ts';
import { TWILIO_API_ORIGIN, TWILIO_SANDBOX_NUMBER } from './types.ts';

/** Twilio's largest page: fewest requests for a long window. */
const MAX_PAGE_SIZE = 1000;

function messageOf(m: MessageInstance): TwilioMessage {
  const numMedia = Number.parseInt(m.numMedia ?? '0', 10);
  return {
    sid: m.sid,
    accountSid: m.accountSid,
    direction: m.direction,
    from: m.from,
    to: m.to,
    body: m.body ?? null,
    status: m.status,
    errorCode: m.errorCode ?? null,
    errorMessage: m.errorMessage ?? null,
    numMedia: Number.isInteger(numMedia) ? numMedia : 0,
    messagingServiceSid: m.messagingServiceSid ?? null,
    dateSent: m.dateSent ?? null,
    dateCreated: m.dateCreated,
  };
}

/** What the package's pages offer: their records, and the next page if any. */
interface Paged<T> {
  instances: T[];
  nextPage(): Promise<Paged<T>> | undefined;
}

/** `variables` as Twilio returns it: names to sample values (numbers read as text). */
function textValues(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}

function objectValues(value: unknown): Record<string, Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = v as Record<string, unknown>;
  }
  return out;
}

/** ContentAndApprovals' `approval_requests` (the package leaves it in snake_case). */
function approvalOf(value: unknown): ContentTemplate['whatsapp'] {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const text = (key: string) => (typeof v[key] === 'string' ? (v[key] as string) : '');
  if (text('status') === '') return null;
  return {
    status: text('status'),
    rejectionReason: text('rejection_reason'),
    category: text('category'),
    name: text('name'),
    contentType: text('content_type'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const accountSidPattern = /^AC[0-9a-fA-F]{32}$/;

/** The refusal for a phone number of the account that is not (yet) a WhatsApp sender. */
export function notAWhatsappSenderYet(e164: string, accountSid: string): string {
  return `${e164} is a phone number in account ${accountSid} but not a WhatsApp sender. Register it in the Twilio Console under Messaging → Senders → WhatsApp senders, then connect it here.`;
}

/**
 * The refusal for an account whose WhatsApp senders cannot be listed (HTTP 403 or 404):
 * without the list no number can be told to be a WhatsApp sender.
 */
function sendersNotListed(accountSid: string, httpStatus: number, checking: SendersCheckedFor): string {
  const what =
    'e164' in checking
      ? `${checking.e164} cannot be checked as one`
      : `the numbers of Messaging Service ${checking.serviceSid} cannot be checked as WhatsApp senders`;
  const listed = 'e164' in checking ? 'the number is listed' : "the service's numbers are listed";
  return `Account ${accountSid} cannot list its WhatsApp senders (Twilio answered HTTP ${httpStatus}), so ${what}. Open Messaging → Senders → WhatsApp senders in the Twilio Console for this account; once ${listed} there, connect it here.`;
}

/** What the account's WhatsApp senders are listed for: one number, or a Messaging Service's pool. */
type SendersCheckedFor = { e164: string } | { serviceSid: string };

/** The Senders API's webhook object on the wire (snake_case, as its OpenAPI description says). */
interface SenderWebhookWire {
  callback_url: string | null;
  callback_method: string | null;
  status_callback_url: string | null;
  status_callback_method: string | null;
}

/** The refusal for a Messaging Service whose pool holds no WhatsApp sender. */
export function serviceWithoutWhatsappSender(serviceSid: string, accountSid: string): string {
  return `Messaging Service ${serviceSid} in account ${accountSid} has no WhatsApp sender. In the Twilio Console open Messaging > Services, pick the service, add a WhatsApp sender to its Sender Pool, then connect it here.`;
}

/** A 404 for a Messaging Service, on the field that named it. */
function throwServiceNotFound(error: unknown): never {
  throw error instanceof TwilioAdapterError && error.kind === 'not_found'
    ? new TwilioAdapterError('not_found', error.message, {
        httpStatus: 404,
        field: 'messagingServiceSid',
        cause: error,
      })
    : error;
}

const serviceGone = (sid: string, accountSid: string) =>
  `Account ${accountSid} has no Messaging Service ${sid}. Copy the SID (it starts with MG) from Messaging > Services in the Twilio Console of that account.`;

const senderGone = (sid: string, accountSid: string) =>
  `The WhatsApp sender ${sid} no longer exists in account ${accountSid}. Look the number up again.`;
const numberGone = (sid: string, accountSid: string) =>
  `The phone number ${sid} no longer exists in account ${accountSid}. Look the number up again.`;

export function createTwilioAdapter(options: TwilioAdapterOptions = {}): TwilioAdapter {
  // Every call made inside a person's request must answer (or fail) well before the
  // server's request and socket timeouts, or the browser sees a dropped connection.
  const timeoutMs = options.timeoutMs ?? 10_000;
  const httpClient = new BaseUrlRequestClient({
    timeoutMs,
    ...(options.apiBaseUrl === undefined ? {} : { apiBaseUrl: options.apiBaseUrl }),
    ...(options.onApiCall === undefined ? {} : { onApiCall: options.onApiCall }),
  });

  function clientFor(c: TwilioCredentials): twilio.Twilio {
    if (!accountSidPattern.test(c.accountSid)) {
      throw new TwilioAdapterError(
        'invalid_request',
        'An Account SID is "AC" followed by 32 hexadecimal characters; copy it from the Twilio Console home page.',
        { field: 'accountSid' },
      );
    }
    if (c.authToken.trim() === '') {
      throw new TwilioAdapterError('invalid_request', 'Enter the Auth Token from the Twilio Console.', {
        field: 'authToken',
      });
    }
    // `env: {}` keeps the package from falling back to TWILIO_* variables of this process.
    return twilio(c.accountSid, c.authToken, { httpClient, autoRetry: false, env: {} });
  }

  async function call<T>(context: FailureContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapTwilioFailure(error, { ...context, timeoutMs });
    }
  }

  /**
   * Every item of a paged list: page by page rather than the package's list(), so
   * that each page gets its own 429 backoff and a rate limit on page 5 does not
   * start the listing over.
   */
  async function everyPage<T>(context: FailureContext, first: () => Promise<Paged<T>>): Promise<T[]> {
    const items: T[] = [];
    let page = await read(context, first);
    for (;;) {
      items.push(...page.instances);
      const current = page;
      const next = await read(context, async () => current.nextPage());
      if (next === undefined) return items;
      page = next;
    }
  }

  const pageSize = options.listPageSize ?? MAX_PAGE_SIZE;
  const readRetry = options.readRetry ?? { attempts: 4, backoffMs: 1_000 };

  /**
   * A read that Twilio answers 429 is tried again after a growing wait. Twilio: "Any
   * requests with Error 429 responses are always safe to retry", with exponential
   * backoff ("Twilio API response Error 429 Too Many Requests",
   * https://support.twilio.com/hc/en-us/articles/360044308153; error 20429,
   * https://www.twilio.com/docs/api/errors/20429). Any other failure is thrown at once.
   */
  async function read<T>(context: FailureContext, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(context, run);
      } catch (error) {
        if (!(error instanceof TwilioAdapterError) || error.kind !== 'rate_limited') throw error;
        if (attempt >= readRetry.attempts) throw error;
        await sleep(readRetry.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  /**
   * The account's WhatsApp senders (Senders API, channel whatsapp). Without the list we
   * cannot tell a WhatsApp sender from any other number, and guessing is what made a
   * plain number look connectable: a 403 or 404 is refused as `number_not_found`,
   * saying why, on the field that was being checked.
   * https://www.twilio.com/docs/whatsapp/api/senders
   */
  async function accountWhatsappSenders(c: TwilioCredentials, checking: SendersCheckedFor) {
    const client = clientFor(c);
    return call({ accountSid: c.accountSid }, () =>
      client.messaging.v2.channelsSenders.list({ channel: 'whatsapp', pageSize: 100 }),
    ).catch((error: unknown) => {
      if (error instanceof TwilioAdapterError && (error.httpStatus === 403 || error.httpStatus === 404)) {
        throw new TwilioAdapterError(
          'number_not_found',
          sendersNotListed(c.accountSid, error.httpStatus, checking),
          {
            httpStatus: error.httpStatus,
            field: 'e164' in checking ? 'whatsappNumber' : 'messagingServiceSid',
            cause: error,
          },
        );
      }
      throw error;
    });
  }

  /**
   * FetchChannelsSender (Messaging v2): status, offline_reasons, properties and
   * webhook in one answer, which the package hands back camelCased.
   * https://www.twilio.com/docs/whatsapp/api/senders
   */
  async function fetchSenderState(c: TwilioCredentials, sid: string): Promise<SenderState> {
    const client = clientFor(c);
    const found = await call(
      { accountSid: c.accountSid, notFoundMessage: senderGone(sid, c.accountSid) },
      () => client.messaging.v2.channelsSenders(sid).fetch(),
    );
    const webhook = found.webhook;
    return {
      status: found.status ?? null,
      offlineReasons: (found.offlineReasons ?? []).map((reason) => ({
        code: reason?.code ?? null,
        message: reason?.message ?? null,
        moreInfo: reason?.moreInfo ?? null,
      })),
      qualityRating: found.properties?.qualityRating ?? null,
      messagingLimit: found.properties?.messagingLimit ?? null,
      webhooks: {
        inboundUrl: webhook?.callbackUrl ?? null,
        inboundMethod: webhook?.callbackMethod ?? null,
        statusUrl: webhook?.statusCallbackUrl ?? null,
        statusMethod: webhook?.statusCallbackMethod ?? null,
      },
    };
  }

  /**
   * A service's pool as its two lists (Messaging v1) give it, read at once: the WhatsApp
   * senders among its ChannelSenders ("a channel sender that is associated with a
   * Messaging Service, such as WhatsApp",
   * https://www.twilio.com/docs/messaging/api/messaging-service-channelsender-resource),
   * as `whatsapp:+…` sender ids, and its phone numbers (PhoneNumbers, E.164). Each list
   * answers 404 for a service the account lacks.
   */
  async function servicePool(c: TwilioCredentials, serviceSid: string) {
    const client = clientFor(c);
    const context = { accountSid: c.accountSid, notFoundMessage: serviceGone(serviceSid, c.accountSid) };
    const service = client.messaging.v1.services(serviceSid);
    const [channelSenders, phoneNumbers] = await Promise.all([
      call(context, () => service.channelSenders.list({ pageSize: 100 })),
      call(context, () => service.phoneNumbers.list({ pageSize: 100 })),
    ]);
    return {
      whatsappSenderIds: channelSenders.flatMap((cs) =>
        cs.senderType === 'WhatsApp' && cs.sender?.startsWith('whatsapp:') ? [cs.sender] : [],
      ),
      phoneNumbers: phoneNumbers.map((pn) => pn.phoneNumber),
    };
  }

  const adapter: TwilioAdapter = {
    async verifyCredentials(c): Promise<VerifiedAccount> {
      const client = clientFor(c);
      const account = await call({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).fetch(),
      );
      if (account.status === 'suspended' || account.status === 'closed') {
        throw new TwilioAdapterError(
          'account_inactive',
          `Twilio account ${c.accountSid} is ${account.status}. Reactivate it in the Twilio Console, or connect another account.`,
          { field: 'accountSid' },
        );
      }
      return {
        accountSid: account.sid,
        friendlyName: account.friendlyName,
        status: account.status,
        type: account.type,
      };
    },

    async findWhatsappSender(c, e164): Promise<WhatsappSender> {
      if (e164 === TWILIO_SANDBOX_NUMBER) return { kind: 'sandbox', sid: null };
      const client = clientFor(c);
      const context = { accountSid: c.accountSid };

      // Only a WhatsApp sender of the account (Senders API, channel whatsapp) can send and
      // receive WhatsApp: a plain phone number of the account (IncomingPhoneNumbers) would
      // take the webhooks of its SMS and fail at the first WhatsApp send (63007).
      // https://www.twilio.com/docs/whatsapp/api/senders
      const senderId = `whatsapp:${e164}`;
      const senders = await accountWhatsappSenders(c, { e164 });
      const sender = senders.find((s) => s.senderId === senderId);
      if (sender?.sid) return { kind: 'sender', sid: sender.sid };

      // Not a sender: tell a phone number of the account (it can be registered) from a
      // number the account does not have.
      const numbers = await call(context, () =>
        client.api.v2010
          .accounts(c.accountSid)
          .incomingPhoneNumbers.list({ phoneNumber: e164, pageSize: 20 }),
      );
      if (numbers.some((n) => n.phoneNumber === e164)) {
        throw new TwilioAdapterError('number_not_found', notAWhatsappSenderYet(e164, c.accountSid), {
          field: 'whatsappNumber',
        });
      }
      throw new TwilioAdapterError(
        'number_not_found',
        `${e164} is not a WhatsApp sender in account ${c.accountSid}. Check the number, or register it as a WhatsApp sender in the Twilio Console.`,
        { field: 'whatsappNumber' },
      );
    },

    async findMessagingService(c, serviceSid): Promise<MessagingServiceSenders> {
      const client = clientFor(c);
      const notFound = { accountSid: c.accountSid, notFoundMessage: serviceGone(serviceSid, c.accountSid) };
      // FetchService answers 404 for a service of another account: it proves the
      // service belongs to the account these credentials are for.
      const service = await call(notFound, () => client.messaging.v1.services(serviceSid).fetch()).catch(
        throwServiceNotFound,
      );
      // The service's pool: WhatsApp senders are listed as ChannelSenders; its phone
      // numbers (PhoneNumbers) count only when the Senders API lists them as WhatsApp
      // senders of the account (https://www.twilio.com/docs/whatsapp/api/senders).
      const [pool, accountSenders] = await Promise.all([
        servicePool(c, serviceSid),
        accountWhatsappSenders(c, { serviceSid }),
      ]);
      const bySenderId = new Map(accountSenders.map((s) => [s.senderId, s.sid]));
      const whatsappSenders: { sid: string; number: string }[] = [];
      const add = (senderId: string | undefined) => {
        if (!senderId?.startsWith('whatsapp:')) return;
        const sid = bySenderId.get(senderId);
        const number = senderId.slice('whatsapp:'.length);
        if (sid && !whatsappSenders.some((w) => w.number === number)) whatsappSenders.push({ sid, number });
      };
      for (const senderId of pool.whatsappSenderIds) add(senderId);
      for (const e164 of pool.phoneNumbers) add(`whatsapp:${e164}`);
      if (whatsappSenders.length === 0) {
        throw new TwilioAdapterError(
          'number_not_found',
          serviceWithoutWhatsappSender(service.sid, c.accountSid),
          {
            field: 'messagingServiceSid',
          },
        );
      }
      return { sid: service.sid, friendlyName: service.friendlyName, whatsappSenders };
    },

    async listServiceWhatsappNumbers(c, serviceSid, known): Promise<string[]> {
      const pool = await servicePool(c, serviceSid).catch(throwServiceNotFound);
      const numbers = new Set(pool.whatsappSenderIds.map((id) => id.slice('whatsapp:'.length)));
      // A phone number of the pool counts when it is a WhatsApp sender of the account, as
      // findMessagingService counts it; one known to be a sender is not asked about again,
      // so the account's senders are listed only when a number of the pool is new.
      const unsettled = pool.phoneNumbers.filter((e164) => !numbers.has(e164) && !known.includes(e164));
      const accountSenders =
        unsettled.length === 0
          ? new Set<string>()
          : new Set((await accountWhatsappSenders(c, { serviceSid })).map((s) => s.senderId));
      for (const e164 of pool.phoneNumbers) {
        if (known.includes(e164) || accountSenders.has(`whatsapp:${e164}`)) numbers.add(e164);
      }
      return [...numbers];
    },

    async configureWebhooks(c, sender, urls) {
      if (sender.kind === 'sandbox') return { configured: false };
      const client = clientFor(c);
      if (sender.kind === 'messaging_service') {
        // UpdateService (Messaging v1): with UseInboundWebhookOnNumber off, inbound
        // messages to every sender of the pool go to InboundRequestUrl ("If this field
        // is enabled then the webhook url defined on the phone number will override the
        // inbound_request_url", https://www.twilio.com/docs/messaging/api/service-resource;
        // the console calls the two choices "Send a webhook" and "Defer to sender's webhook").
        await call({ accountSid: c.accountSid, notFoundMessage: serviceGone(sender.sid, c.accountSid) }, () =>
          client.messaging.v1.services(sender.sid).update({
            inboundRequestUrl: urls.inboundUrl,
            inboundMethod: 'POST',
            statusCallback: urls.statusUrl,
            useInboundWebhookOnNumber: false,
          }),
        );
        return { configured: true };
      }
      if (sender.kind === 'sender') {
        // twilio@6.2.0 types this body in camelCase but sends it as given, while the API
        // (and its OpenAPI description) reads snake_case; so we hand it the wire format.
        const body = {
          webhook: {
            callback_url: urls.inboundUrl,
            callback_method: 'POST',
            status_callback_url: urls.statusUrl,
            status_callback_method: 'POST',
          },
        } as unknown as MessagingV2ChannelsSenderRequestsUpdate;
        await call({ accountSid: c.accountSid, notFoundMessage: senderGone(sender.sid, c.accountSid) }, () =>
          client.messaging.v2.channelsSenders(sender.sid).update(body),
        );
        return { configured: true };
      }
      await call({ accountSid: c.accountSid, notFoundMessage: numberGone(sender.sid, c.accountSid) }, () =>
        client.api.v2010.accounts(c.accountSid).incomingPhoneNumbers(sender.sid).update({
          smsUrl: urls.inboundUrl,
          smsMethod: 'POST',
          statusCallback: urls.statusUrl,
          statusCallbackMethod: 'POST',
        }),
      );
      return { configured: true };
    },

    async listMessages(c, filter): Promise<TwilioMessage[]> {
      const client = clientFor(c);
      const messages = await everyPage({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).messages.page({
          ...(filter.to === undefined ? {} : { to: filter.to }),
          ...(filter.from === undefined ? {} : { from: filter.from }),
          dateSentAfter: filter.dateSentAfter,
          ...(filter.dateSentBefore === undefined ? {} : { dateSentBefore: filter.dateSentBefore }),
          pageSize,
        }),
      );
      return messages.map(messageOf);
    },

    async listMedia(c, messageSid): Promise<TwilioMedia[]> {
      const client = clientFor(c);
      const media = await everyPage({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).messages(messageSid).media.page({ pageSize }),
      );
      return media.map((m) => ({
        sid: m.sid,
        contentType: m.contentType,
        url: `${TWILIO_API_ORIGIN}${m.uri.replace(/\.json$/, '')}`,
      }));
    },

    async fetchMessage(c, sid): Promise<TwilioMessage> {
      const client = clientFor(c);
      const message = await read(
        {
          accountSid: c.accountSid,
          notFoundMessage: `Twilio has no message ${sid} in account ${c.accountSid}.`,
        },
        () => client.api.v2010.accounts(c.accountSid).messages(sid).fetch(),
      );
      return messageOf(message);
    },

    async readSenderState(c, sender): Promise<SenderState | null> {
      if (sender.kind === 'sandbox') return null;
      // A phone number has no sender status; a Messaging Service has none of its own
      // (each sender of its pool has one): both give their webhook settings only.
      if (sender.kind === 'incoming_number' || sender.kind === 'messaging_service') {
        const webhooks = await adapter.readWebhooks(c, sender);
        return (
          webhooks && {
            status: null,
            offlineReasons: [],
            qualityRating: null,
            messagingLimit: null,
            webhooks,
          }
        );
      }
      return fetchSenderState(c, sender.sid);
    },

    async readWebhooks(c, sender): Promise<WebhookSettings | null> {
      if (sender.kind === 'sandbox') return null;
      const client = clientFor(c);
      if (sender.kind === 'messaging_service') {
        // FetchService: a service's status callbacks have no method of their own (POST).
        const service = await call(
          { accountSid: c.accountSid, notFoundMessage: serviceGone(sender.sid, c.accountSid) },
          () => client.messaging.v1.services(sender.sid).fetch(),
        );
        return {
          inboundUrl: service.inboundRequestUrl || null,
          inboundMethod: service.inboundMethod || null,
          statusUrl: service.statusCallback || null,
          statusMethod: null,
          useInboundWebhookOnNumber: service.useInboundWebhookOnNumber ?? null,
        };
      }
      // FetchChannelsSender (Messaging v2): its `webhook` object.
      if (sender.kind === 'sender') return (await fetchSenderState(c, sender.sid)).webhooks;
      // FetchIncomingPhoneNumber (v2010).
      const number = await call(
        { accountSid: c.accountSid, notFoundMessage: numberGone(sender.sid, c.accountSid) },
        () => client.api.v2010.accounts(c.accountSid).incomingPhoneNumbers(sender.sid).fetch(),
      );
      return {
        inboundUrl: number.smsUrl || null,
        inboundMethod: number.smsMethod || null,
        statusUrl: number.statusCallback || null,
        statusMethod: number.statusCallbackMethod || null,
      };
    },

    async restoreWebhooks(c, sender, settings) {
      if (sender.kind === 'sandbox') return { restored: false };
      const client = clientFor(c);
      if (sender.kind === 'messaging_service') {
        // UpdateService: an empty URL clears it; UseInboundWebhookOnNumber goes back
        // to what it was (Twilio's default, false, when it was never read).
        await call({ accountSid: c.accountSid, notFoundMessage: serviceGone(sender.sid, c.accountSid) }, () =>
          client.messaging.v1.services(sender.sid).update({
            inboundRequestUrl: settings.inboundUrl ?? '',
            inboundMethod: settings.inboundMethod === 'GET' ? 'GET' : 'POST',
            statusCallback: settings.statusUrl ?? '',
            useInboundWebhookOnNumber: settings.useInboundWebhookOnNumber ?? false,
          }),
        );
        return { restored: true };
      }
      if (sender.kind === 'sender') {
        // The webhook object's fields are nullable in Twilio's description of
        // UpdateChannelsSender (twilio_messaging_v2.json): null clears one.
        const body = {
          webhook: {
            callback_url: settings.inboundUrl,
            callback_method: settings.inboundMethod,
            status_callback_url: settings.statusUrl,
            status_callback_method: settings.statusMethod,
          } satisfies SenderWebhookWire,
        } as unknown as MessagingV2ChannelsSenderRequestsUpdate;
        await call({ accountSid: c.accountSid, notFoundMessage: senderGone(sender.sid, c.accountSid) }, () =>
          client.messaging.v2.channelsSenders(sender.sid).update(body),
        );
        return { restored: true };
      }
      // UpdateIncomingPhoneNumber: an empty SmsUrl / StatusCallback clears it; the
      // methods only take GET or POST (POST is Twilio's default).
      await call({ accountSid: c.accountSid, notFoundMessage: numberGone(sender.sid, c.accountSid) }, () =>
        client.api.v2010
          .accounts(c.accountSid)
          .incomingPhoneNumbers(sender.sid)
          .update({
            smsUrl: settings.inboundUrl ?? '',
            smsMethod: settings.inboundMethod === 'GET' ? 'GET' : 'POST',
            statusCallback: settings.statusUrl ?? '',
            statusCallbackMethod: settings.statusMethod === 'GET' ? 'GET' : 'POST',
          }),
      );
      return { restored: true };
    },

    async listTemplates(c): Promise<ContentTemplate[]> {
      const client = clientFor(c);
      // GET https://content.twilio.com/v1/ContentAndApprovals (Twilio's largest page is 1000).
      const contents = await everyPage({ accountSid: c.accountSid }, () =>
        client.content.v1.contentAndApprovals.page({ pageSize }),
      );
      return contents.map((t) => ({
        sid: t.sid,
        friendlyName: t.friendlyName ?? '',
        language: t.language ?? '',
        variables: textValues(t.variables),
        types: objectValues(t.types),
        whatsapp: approvalOf(t.approvalRequests),
      }));
    },

    async sendMessage(c, m: OutboundWhatsappMessage): Promise<SentMessage> {
      const client = clientFor(c);
      const message = await call({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).messages.create({
          to: m.to,
          // With a Messaging Service Twilio picks the sender from its pool.
          ...(m.messagingServiceSid === undefined
            ? { from: m.from.startsWith('whatsapp:') ? m.from : `whatsapp:${m.from}` }
            : { messagingServiceSid: m.messagingServiceSid }),
          statusCallback: m.statusCallback,
          ...(m.body === undefined ? {} : { body: m.body }),
          ...(m.mediaUrls === undefined || m.mediaUrls.length === 0 ? {} : { mediaUrl: m.mediaUrls }),
          // ContentSid + ContentVariables (a JSON object as text): how a template is sent
          // (https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder).
          ...(m.contentSid === undefined
            ? {}
            : {
                contentSid: m.contentSid,
                ...(m.contentVariables === undefined || Object.keys(m.contentVariables).length === 0
                  ? {}
                  : { contentVariables: JSON.stringify(m.contentVariables) }),
              }),
        }),
      );
      return {
        sid: message.sid,
        from: message.from || null,
        status: message.status,
        errorCode: message.errorCode ?? null,
        errorMessage: message.errorMessage ?? null,
      };
    },
  };
  return adapter;
}
