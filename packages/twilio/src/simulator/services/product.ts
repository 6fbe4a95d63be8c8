import type { IncomingNumbers } from '../accounts/numbers.ts';
import type { SimulatorCore } from '../core/core.ts';
import { SimulatorError } from '../core/errors.ts';
import { e164Pattern, newSid } from '../core/ids.ts';
import { MESSAGING_ORIGIN, metaPage } from '../core/paging.ts';
import type { Form, OperationContext, OperationHandler, SimulatedProduct } from '../core/rest.ts';
import { notFound, ok, rejectIfInvalid, single } from '../core/rest.ts';
import type { Senders, SimSender } from '../senders/product.ts';
import { channelSenderResource, phoneNumberResource, serviceResource } from './resources.ts';
import type { SimService } from './types.ts';

/** The control API's input for a new service. */
export interface ServiceInput {
  friendlyName?: string;
  inboundRequestUrl?: string | null;
  inboundMethod?: 'GET' | 'POST';
  statusCallback?: string | null;
  /** Default false: inbound messages to the service's senders go to `inboundRequestUrl`. */
  useInboundWebhookOnNumber?: boolean;
  /** WhatsApp senders to attach: `+E164`, `whatsapp:+E164` or XE SIDs (a number becomes a sender if it is not one). */
  senders?: string[];
  /** Phone numbers of the account to attach (`+E164` or PN SIDs). */
  phoneNumbers?: string[];
}

/** Messaging v1 Services: the accounts' Messaging Services, their ChannelSenders and PhoneNumbers. */
export class MessagingServices implements SimulatedProduct {
  readonly services = new Map<string, SimService>();
  readonly #core: SimulatorCore;
  readonly #senders: Senders;
  readonly #numbers: IncomingNumbers;

  constructor(core: SimulatorCore, senders: Senders, numbers: IncomingNumbers) {
    this.#core = core;
    this.#senders = senders;
    this.#numbers = numbers;
  }

  add(accountSid: string, input: ServiceInput = {}): SimService {
    this.#core.accounts.require(accountSid);
    for (const url of [input.inboundRequestUrl, input.statusCallback]) {
      if (typeof url === 'string' && !URL.canParse(url)) throw new SimulatorError(`${url} is not a URL`);
    }
    const now = new Date();
    const service: SimService = {
      sid: newSid('MG'),
      accountSid,
      friendlyName: input.friendlyName ?? 'Simulated Messaging Service',
      inboundRequestUrl: input.inboundRequestUrl ?? null,
      inboundMethod: input.inboundMethod ?? 'POST',
      fallbackUrl: null,
      fallbackMethod: 'POST',
      statusCallback: input.statusCallback ?? null,
      useInboundWebhookOnNumber: input.useInboundWebhookOnNumber ?? false,
      stickySender: true,
      mmsConverter: true,
      smartEncoding: true,
      scanMessageContent: 'inherit',
      fallbackToLongCode: false,
      areaCodeGeomatch: true,
      validityPeriod: 36_000,
      synchronousValidation: true,
      usecase: 'undeclared',
      senderSids: [],
      phoneNumberSids: [],
      dateCreated: now,
      dateUpdated: now,
    };
    this.services.set(service.sid, service);
    for (const sender of input.senders ?? []) this.addSender(service.sid, sender);
    for (const number of input.phoneNumbers ?? []) this.addPhoneNumber(service.sid, number);
    return service;
  }

  /** Attaches a WhatsApp sender of the service's account (made a sender first if the number is not one yet). */
  addSender(serviceSid: string, senderOrNumber: string): SimSender {
    const service = this.require(serviceSid);
    const e164 = senderOrNumber.replace(/^whatsapp:/, '');
    const sender = senderOrNumber.startsWith('XE')
      ? this.#senders.senders.get(senderOrNumber)
      : (this.#senders.of(service.accountSid, e164) ?? this.#senders.add(service.accountSid, e164));
    if (!sender || sender.accountSid !== service.accountSid) {
      throw new SimulatorError(`${senderOrNumber} is not a WhatsApp sender of account ${service.accountSid}`);
    }
    const owner = this.serviceOf(sender.sid);
    if (owner && owner.sid !== service.sid) {
      // A sender belongs to one Messaging Service at a time (Twilio's 21712).
      throw new SimulatorError(`${sender.senderId} already belongs to Messaging Service ${owner.sid}`);
    }
    if (!service.senderSids.includes(sender.sid)) service.senderSids.push(sender.sid);
    service.dateUpdated = new Date();
    return sender;
  }

  addPhoneNumber(serviceSid: string, numberOrSid: string) {
    const service = this.require(serviceSid);
    const number = e164Pattern.test(numberOrSid)
      ? this.#numbers.of(service.accountSid, numberOrSid)
      : this.#numbers.find(service.accountSid, numberOrSid);
    if (!number)
      throw new SimulatorError(`${numberOrSid} is not a phone number of account ${service.accountSid}`);
    if (!service.phoneNumberSids.includes(number.sid)) service.phoneNumberSids.push(number.sid);
    return number;
  }

  require(sid: string): SimService {
    const service = this.services.get(sid);
    if (!service) throw new SimulatorError(`No Messaging Service ${sid}`);
    return service;
  }

  /** The account's service with this SID, if it has it. */
  of(accountSid: string, sid: string | undefined): SimService | undefined {
    const service = this.services.get(sid ?? '');
    return service?.accountSid === accountSid ? service : undefined;
  }

  ofAccount(accountSid: string): SimService[] {
    return [...this.services.values()].filter((s) => s.accountSid === accountSid);
  }

  /** The service a sender (XE…) or phone number (PN…) belongs to. */
  serviceOf(senderOrNumberSid: string): SimService | undefined {
    return [...this.services.values()].find(
      (s) => s.senderSids.includes(senderOrNumberSid) || s.phoneNumberSids.includes(senderOrNumberSid),
    );
  }

  /** The service's WhatsApp senders, in the order they were attached. */
  whatsappSenders(service: SimService): SimSender[] {
    return service.senderSids.flatMap((sid) => this.#senders.senders.get(sid) ?? []);
  }

  reset() {
    this.services.clear();
  }

  readonly operations: Readonly<Record<string, OperationHandler>> = {
    CreateService: (ctx) => {
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      const service = this.add(ctx.account.sid);
      return ok(201, serviceResource(applyServiceForm(service, ctx.body as Form)));
    },
    ListService: (ctx) =>
      rejectIfInvalid(ctx) ??
      ok(
        200,
        this.#page(ctx, '/v1/Services', 'services', this.ofAccount(ctx.account.sid).map(serviceResource)),
      ),
    FetchService: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.Sid);
      if (!service) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, serviceResource(service));
    },
    UpdateService: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.Sid);
      if (!service) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, serviceResource(applyServiceForm(service, ctx.body as Form)));
    },
    DeleteService: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.Sid);
      if (!service) return notFound(ctx.path);
      const invalid = rejectIfInvalid(ctx);
      if (invalid) return invalid;
      this.services.delete(service.sid);
      return ok(204, null);
    },
    ListChannelSender: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.MessagingServiceSid);
      if (!service) return notFound(ctx.path);
      const senders = this.whatsappSenders(service).map((s) => channelSenderResource(service, s));
      return (
        rejectIfInvalid(ctx) ??
        ok(200, this.#page(ctx, `/v1/Services/${service.sid}/ChannelSenders`, 'senders', senders))
      );
    },
    FetchChannelSender: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.MessagingServiceSid);
      const sender = service && this.whatsappSenders(service).find((s) => s.sid === ctx.pathParams.Sid);
      if (!service || !sender) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, channelSenderResource(service, sender));
    },
    ListPhoneNumber: (ctx) => {
      const service = this.of(ctx.account.sid, ctx.pathParams.ServiceSid);
      if (!service) return notFound(ctx.path);
      const numbers = service.phoneNumberSids
        .flatMap((sid) => this.#numbers.numbers.get(sid) ?? [])
        .map((n) => phoneNumberResource(service, n));
      return (
        rejectIfInvalid(ctx) ??
        ok(200, this.#page(ctx, `/v1/Services/${service.sid}/PhoneNumbers`, 'phone_numbers', numbers))
      );
    },
  };

  #page(ctx: OperationContext, path: string, key: string, items: { sid: string | null }[]) {
    return metaPage(`${MESSAGING_ORIGIN}${path}`, key, ctx.query, items, (item) => item.sid ?? '');
  }
}

const bool = (value: string | undefined) => (value === undefined ? undefined : value === 'true');
const method = (value: string | undefined) => (value === 'GET' || value === 'POST' ? value : undefined);
/** An empty URL clears it, as Twilio's update does. */
const url = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);

/** Applies CreateService's or UpdateService's form (already checked against the description). */
function applyServiceForm(service: SimService, form: Form | undefined): SimService {
  const get = (name: string) => single(form?.[name]);
  const changes: Partial<SimService> = {
    friendlyName: get('FriendlyName'),
    inboundRequestUrl: url(get('InboundRequestUrl')),
    inboundMethod: method(get('InboundMethod')),
    fallbackUrl: url(get('FallbackUrl')),
    fallbackMethod: method(get('FallbackMethod')),
    statusCallback: url(get('StatusCallback')),
    stickySender: bool(get('StickySender')),
    mmsConverter: bool(get('MmsConverter')),
    smartEncoding: bool(get('SmartEncoding')),
    fallbackToLongCode: bool(get('FallbackToLongCode')),
    areaCodeGeomatch: bool(get('AreaCodeGeomatch')),
    synchronousValidation: bool(get('SynchronousValidation')),
    useInboundWebhookOnNumber: bool(get('UseInboundWebhookOnNumber')),
    usecase: get('Usecase'),
  };
  const scan = get('ScanMessageContent');
  if (scan === 'inherit' || scan === 'enable' || scan === 'disable') changes.scanMessageContent = scan;
  const validity = get('ValidityPeriod');
  if (validity !== undefined) changes.validityPeriod = Number(validity);
  for (const [key, value] of Object.entries(changes)) {
    if (value !== undefined) Object.assign(service, { [key]: value });
  }
  service.dateUpdated = new Date();
  return service;
}
