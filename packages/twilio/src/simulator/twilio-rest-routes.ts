import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { e164Pattern, rfc2822, whatsappAddressPattern } from './ids.ts';
import type { OaiSchema, TwilioOpenApi } from './oai.ts';
import type { SimAccount, SimIncomingNumber, SimMessage, SimSender, Simulator } from './simulator.ts';
import { sleep } from './webhook-delivery.ts';

type Form = Record<string, string | string[]>;

interface OperationContext {
  account: SimAccount;
  pathParams: Record<string, string>;
  query: Form;
  body: unknown;
  /** How the request departs from the OpenAPI description. */
  problems: string[];
}

/** A Twilio answer: status and JSON body. */
interface Answer {
  status: number;
  body: unknown;
}

const MESSAGING_ORIGIN = 'https://messaging.twilio.com';

/** Twilio's error body (v2010, and the legacy shape Messaging v2 answers with). */
export function twilioError(status: number, code: number, message: string): Answer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

const notFound = (path: string) => twilioError(404, 20404, `The requested resource ${path} was not found`);

/**
 * Twilio's REST surface as far as the adapter uses it. Every request is
 * routed by Twilio's OpenAPI description, checked against it (violations are
 * recorded on the simulator), and answered with bodies shaped by its schemas.
 */
export function registerTwilioRestRoutes(app: FastifyInstance, sim: Simulator, oai: TwilioOpenApi) {
  const handlers: Record<string, (ctx: OperationContext, path: string) => Answer> = {
    FetchAccount: (ctx, path) => {
      if (ctx.pathParams.Sid !== ctx.account.sid) return notFound(path);
      return rejectIfInvalid(ctx) ?? ok(200, accountResource(ctx.account));
    },
    ListIncomingPhoneNumber: (ctx) => {
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      const phoneNumber = single(ctx.query.PhoneNumber);
      const friendlyName = single(ctx.query.FriendlyName);
      const all = [...sim.incomingNumbers.values()].filter(
        (n) =>
          n.accountSid === ctx.account.sid &&
          (phoneNumber === undefined || n.phoneNumber.includes(phoneNumber)) &&
          (friendlyName === undefined || n.friendlyName === friendlyName),
      );
      const base = `/2010-04-01/Accounts/${ctx.account.sid}/IncomingPhoneNumbers.json`;
      return ok(200, v2010Page(base, ctx.query, 'incoming_phone_numbers', all.map(incomingNumberResource)));
    },
    FetchIncomingPhoneNumber: (ctx, path) => {
      const number = sim.incomingNumbers.get(ctx.pathParams.Sid ?? '');
      if (!number || number.accountSid !== ctx.account.sid) return notFound(path);
      return rejectIfInvalid(ctx) ?? ok(200, incomingNumberResource(number));
    },
    UpdateIncomingPhoneNumber: (ctx, path) => {
      const number = sim.incomingNumbers.get(ctx.pathParams.Sid ?? '');
      if (!number || number.accountSid !== ctx.account.sid) return notFound(path);
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      const form = ctx.body as Form;
      const smsUrl = single(form.SmsUrl);
      const statusCallback = single(form.StatusCallback);
      const smsMethod = single(form.SmsMethod);
      const statusCallbackMethod = single(form.StatusCallbackMethod);
      if (smsUrl !== undefined) number.smsUrl = smsUrl === '' ? null : smsUrl;
      if (statusCallback !== undefined) number.statusCallback = statusCallback === '' ? null : statusCallback;
      if (smsMethod === 'GET' || smsMethod === 'POST') number.smsMethod = smsMethod;
      if (statusCallbackMethod === 'GET' || statusCallbackMethod === 'POST') {
        number.statusCallbackMethod = statusCallbackMethod;
      }
      const friendlyName = single(form.FriendlyName);
      if (friendlyName !== undefined) number.friendlyName = friendlyName;
      number.dateUpdated = new Date();
      return ok(200, incomingNumberResource(number));
    },
    CreateMessage: (ctx) => createMessage(ctx),
    FetchMessage: (ctx, path) => {
      const message = sim.message(ctx.pathParams.Sid ?? '');
      if (!message || message.accountSid !== ctx.account.sid) return notFound(path);
      return rejectIfInvalid(ctx) ?? ok(200, messageResource(message));
    },
    ListChannelsSender: (ctx) => {
      const channel = single(ctx.query.Channel);
      if (channel === undefined)
        return twilioError(400, 20001, 'Missing required parameter Channel in the query');
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      const all = [...sim.senders.values()].filter(
        (s) => s.accountSid === ctx.account.sid && channel === 'whatsapp',
      );
      return ok(200, v2Page(ctx.query, all.map(senderResource)));
    },
    FetchChannelsSender: (ctx, path) => {
      const sender = sim.senders.get(ctx.pathParams.Sid ?? '');
      if (!sender || sender.accountSid !== ctx.account.sid) return notFound(path);
      return rejectIfInvalid(ctx) ?? ok(200, senderResource(sender));
    },
    UpdateChannelsSender: (ctx, path) => {
      const sender = sim.senders.get(ctx.pathParams.Sid ?? '');
      if (!sender || sender.accountSid !== ctx.account.sid) return notFound(path);
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      const webhook = (ctx.body as { webhook?: Record<string, unknown> | null } | undefined)?.webhook;
      if (webhook) {
        for (const key of Object.keys(sender.webhook) as (keyof SimSender['webhook'])[]) {
          const value = webhook[key];
          if (value === null || typeof value === 'string') sender.webhook[key] = value;
        }
      }
      return ok(202, senderResource(sender));
    },
  };

  function ok(status: number, body: unknown): Answer {
    return { status, body };
  }

  function rejectIfInvalid(ctx: OperationContext): Answer | undefined {
    if (ctx.problems.length === 0) return undefined;
    return twilioError(400, 20001, `Invalid parameter: ${ctx.problems.join('; ')}`);
  }

  function createMessage(ctx: OperationContext): Answer {
    const form = (ctx.body ?? {}) as Form;
    const to = single(form.To);
    const from = single(form.From);
    const body = single(form.Body);
    const mediaUrls = form.MediaUrl === undefined ? [] : ([] as string[]).concat(form.MediaUrl);
    const contentSid = single(form.ContentSid);
    const statusCallback = single(form.StatusCallback);
    if (to === undefined || to === '') return twilioError(400, 21604, "A 'To' phone number is required.");
    if (from === undefined && single(form.MessagingServiceSid) === undefined) {
      return twilioError(400, 21603, "A 'From' phone number is required.");
    }
    if ((body === undefined || body === '') && mediaUrls.length === 0 && contentSid === undefined) {
      return twilioError(400, 21602, 'Message body is required.');
    }
    const toIsWhatsapp = to.startsWith('whatsapp:');
    if (!(toIsWhatsapp ? whatsappAddressPattern.test(to) : e164Pattern.test(to))) {
      return twilioError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    }
    if (from === undefined) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (from.startsWith('whatsapp:') !== toIsWhatsapp) {
      return twilioError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel');
    }
    if (!sim.ownsSender(ctx.account.sid, from)) {
      return toIsWhatsapp
        ? twilioError(400, 63007, 'Twilio could not find a Channel with the specified From address')
        : twilioError(
            400,
            21606,
            `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
          );
    }
    const badMedia = mediaUrls.find((u) => !/^https?:\/\//.test(u) || !URL.canParse(u));
    if (badMedia !== undefined) return twilioError(400, 21620, `Invalid media URL(s): ${badMedia}`);
    if (statusCallback !== undefined && !URL.canParse(statusCallback)) {
      return twilioError(400, 21609, `Invalid StatusCallback url: ${statusCallback}`);
    }
    if (body !== undefined && body.length > 1600) {
      return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    const invalid = rejectIfInvalid(ctx);
    if (invalid) return invalid;
    const message = sim.createOutboundMessage({
      accountSid: ctx.account.sid,
      from,
      to,
      body: body ?? '',
      mediaUrls,
      statusCallback: statusCallback ?? null,
      contentSid: contentSid ?? null,
    });
    return ok(201, messageResource(message));
  }

  function accountResource(account: SimAccount) {
    const base = `/2010-04-01/Accounts/${account.sid}`;
    const subresources = ['incoming_phone_numbers', 'messages', 'calls', 'balance'];
    const names: Record<string, string> = {
      incoming_phone_numbers: 'IncomingPhoneNumbers',
      messages: 'Messages',
      calls: 'Calls',
      balance: 'Balance',
    };
    return {
      auth_token: account.authToken,
      date_created: rfc2822(account.dateCreated),
      date_updated: rfc2822(account.dateUpdated),
      friendly_name: account.friendlyName,
      owner_account_sid: account.sid,
      sid: account.sid,
      status: account.status,
      subresource_uris: Object.fromEntries(subresources.map((k) => [k, `${base}/${names[k]}.json`])),
      type: account.type,
      uri: `${base}.json`,
    };
  }

  function incomingNumberResource(n: SimIncomingNumber) {
    return {
      account_sid: n.accountSid,
      address_sid: null,
      address_requirements: 'none',
      api_version: '2010-04-01',
      beta: false,
      capabilities: { mms: true, sms: true, voice: true, fax: false },
      date_created: rfc2822(n.dateCreated),
      date_updated: rfc2822(n.dateUpdated),
      friendly_name: n.friendlyName,
      identity_sid: null,
      phone_number: n.phoneNumber,
      origin: 'twilio',
      sid: n.sid,
      sms_application_sid: null,
      sms_fallback_method: 'POST',
      sms_fallback_url: null,
      sms_method: n.smsMethod,
      sms_url: n.smsUrl,
      status_callback: n.statusCallback,
      status_callback_method: n.statusCallbackMethod,
      trunk_sid: null,
      uri: `/2010-04-01/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
      voice_receive_mode: 'voice',
      voice_application_sid: null,
      voice_caller_id_lookup: false,
      voice_fallback_method: 'POST',
      voice_fallback_url: null,
      voice_method: 'POST',
      voice_url: null,
      emergency_status: 'Inactive',
      emergency_address_sid: null,
      emergency_address_status: 'unregistered',
      bundle_sid: null,
      status: 'in-use',
      type: 'local',
    };
  }

  function messageResource(m: SimMessage) {
    const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    return {
      body: m.body,
      num_segments: '1',
      direction: m.direction,
      from: m.from,
      to: m.to,
      date_updated: rfc2822(m.dateUpdated),
      price: null,
      error_message: m.errorMessage,
      uri,
      account_sid: m.accountSid,
      num_media: String(m.mediaUrls.length),
      status: m.status,
      messaging_service_sid: null,
      sid: m.sid,
      date_sent: m.dateSent === null ? null : rfc2822(m.dateSent),
      date_created: rfc2822(m.dateCreated),
      error_code: m.errorCode,
      price_unit: 'USD',
      api_version: '2010-04-01',
      subresource_uris: {
        media: uri.replace('.json', '/Media.json'),
        feedback: uri.replace('.json', '/Feedback.json'),
      },
    };
  }

  const senderSchema = oai.responseSchema('FetchChannelsSender', 200);

  function senderResource(s: SimSender) {
    return shapeLike(senderSchema, {
      sid: s.sid,
      status: s.status,
      sender_id: s.senderId,
      configuration: { waba_id: `waba-${s.accountSid.slice(-8)}`, verification_method: 'sms' },
      webhook: s.webhook,
      profile: { name: 'Simulated Business' },
      properties: { quality_rating: 'HIGH', messaging_limit: '1K Customers/24hr' },
      offline_reasons: null,
      compliance: null,
      url: `${MESSAGING_ORIGIN}/v2/Channels/Senders/${s.sid}`,
    });
  }

  async function answerTwilioRequest(request: FastifyRequest, reply: FastifyReply) {
    const url = new URL(request.url, 'http://simulator');
    const path = url.pathname;
    const query = (request.query ?? {}) as Form;
    const contentType = request.headers['content-type'];
    const body =
      request.body === undefined || request.body === null || request.body === '' ? undefined : request.body;
    const matched = oai.match(request.method, path);
    const problems = oai.validateRequest({ method: request.method, path, query, contentType, body });
    if (problems.length > 0) {
      sim.recordViolation({ method: request.method, path, operationId: matched?.operationId, problems });
    }
    // Recorded on arrival, so a request still hanging shows up too.
    const record = {
      method: request.method,
      path,
      operationId: matched?.operationId,
      status: undefined as number | undefined,
    };
    sim.recordRequest(record);
    const answer = await answerFor(request, path, matched, query, body, problems);
    record.status = answer.status;
    if (matched && answer.status < 300) {
      const responseProblems = oai.validateResponse(matched.operationId, answer.status, answer.body);
      if (responseProblems.length > 0) {
        sim.recordViolation({
          method: request.method,
          path,
          operationId: matched.operationId,
          problems: responseProblems.map((p) => `simulator answer: ${p}`),
        });
      }
    }
    return reply
      .code(answer.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(answer.body);
  }

  async function answerFor(
    request: FastifyRequest,
    path: string,
    matched: ReturnType<TwilioOpenApi['match']>,
    query: Form,
    body: unknown,
    problems: string[],
  ): Promise<Answer> {
    const fault = sim.takeFault(matched?.operationId);
    if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      return twilioError(fault.status, fault.code ?? fault.status * 100, 'Simulated failure');
    }
    const account = authenticate(request.headers.authorization);
    if (!account) return twilioError(401, 20003, 'Authenticate');
    if (!matched) return notFound(path);
    const pathAccount = matched.pathParams.AccountSid;
    if (pathAccount !== undefined && pathAccount !== account.sid) return notFound(path);
    if (account.status !== 'active' && matched.operationId !== 'FetchAccount') {
      return twilioError(401, 20005, `Account ${account.sid} is not active`);
    }
    const handler = handlers[matched.operationId];
    if (!handler) return twilioError(405, 20004, 'Method not allowed');
    return handler({ account, pathParams: matched.pathParams, query, body, problems }, path);
  }

  function authenticate(header: string | undefined): SimAccount | undefined {
    const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return undefined;
    const account = sim.accounts.get(decoded.slice(0, colon));
    if (!account || account.status === 'closed' || account.authToken !== decoded.slice(colon + 1))
      return undefined;
    return account;
  }

  app.register(async (scope) => {
    // Twilio's v2010 API takes form bodies; Messaging v2 takes JSON (Fastify's default parser).
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, raw, done) => {
        done(null, parseForm(String(raw)));
      },
    );
    for (const prefix of ['/2010-04-01/*', '/v2/*']) {
      scope.route({ method: ['GET', 'POST', 'DELETE'], url: prefix, handler: answerTwilioRequest });
    }
  });
}

function parseForm(raw: string): Form {
  const form: Form = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const existing = form[name];
    form[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  return form;
}

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

function pageNumbers(query: Form, defaultSize: number) {
  const pageSize = Math.min(Math.max(Number(single(query.PageSize) ?? defaultSize) || defaultSize, 1), 1000);
  const page = Math.max(Number(single(query.Page) ?? 0) || 0, 0);
  return { pageSize, page };
}

function withPage(base: string, query: Form, page: number, pageSize: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k !== 'Page' && k !== 'PageSize' && k !== 'PageToken') params.set(k, single(v) ?? '');
  }
  params.set('PageSize', String(pageSize));
  params.set('Page', String(page));
  return `${base}?${params.toString()}`;
}

function v2010Page(base: string, query: Form, key: string, all: unknown[]) {
  const { pageSize, page } = pageNumbers(query, 50);
  const start = page * pageSize;
  const items = all.slice(start, start + pageSize);
  const hasNext = start + pageSize < all.length;
  return {
    end: start + Math.max(items.length - 1, 0),
    first_page_uri: withPage(base, query, 0, pageSize),
    next_page_uri: hasNext ? withPage(base, query, page + 1, pageSize) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? withPage(base, query, page - 1, pageSize) : null,
    start,
    uri: withPage(base, query, page, pageSize),
    [key]: items,
  };
}

function v2Page(query: Form, all: unknown[]) {
  const base = `${MESSAGING_ORIGIN}/v2/Channels/Senders`;
  const { pageSize, page } = pageNumbers(query, 50);
  const start = page * pageSize;
  return {
    senders: all.slice(start, start + pageSize),
    meta: {
      page,
      page_size: pageSize,
      first_page_url: withPage(base, query, 0, pageSize),
      previous_page_url: page > 0 ? withPage(base, query, page - 1, pageSize) : null,
      url: withPage(base, query, page, pageSize),
      next_page_url: start + pageSize < all.length ? withPage(base, query, page + 1, pageSize) : null,
      key: 'senders',
    },
  };
}

/** Fills every property the schema lists (null when we have no value), nested objects too. */
function shapeLike(schema: OaiSchema | undefined, values: Record<string, unknown>): Record<string, unknown> {
  if (!schema?.properties) return values;
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = values[name];
    out[name] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && property.properties
        ? shapeLike(property, value as Record<string, unknown>)
        : (value ?? null);
  }
  return out;
}
