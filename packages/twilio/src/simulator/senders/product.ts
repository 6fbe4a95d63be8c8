import type { SimulatorCore } from '../core/core.ts';
import { assertE164, newSid } from '../core/ids.ts';
import { MESSAGING_ORIGIN, v2Page } from '../core/paging.ts';
import type { Answer, OperationContext, OperationHandler, SimulatedProduct } from '../core/rest.ts';
import { notFound, ok, rejectIfInvalid, single, twilioError } from '../core/rest.ts';
import type { OaiSchema, TwilioOpenApi } from '../openapi/twilio-openapi.ts';

export interface SimSenderWebhook {
  callback_url: string | null;
  callback_method: string | null;
  fallback_url: string | null;
  fallback_method: string | null;
  status_callback_url: string | null;
  status_callback_method: string | null;
}

/** The Senders API's statuses (`channels_sender_enum_status`, twilio_messaging_v2.json). */
export const SENDER_STATUSES = [
  'CREATING',
  'ONLINE',
  'OFFLINE',
  'PENDING_VERIFICATION',
  'VERIFYING',
  'ONLINE:UPDATING',
  'TWILIO_REVIEW',
  'DRAFT',
  'STUBBED',
] as const;
export type SimSenderStatus = (typeof SENDER_STATUSES)[number];

/** One of `offline_reasons` as the API answers it. */
export interface SimOfflineReason {
  code: string | null;
  message: string | null;
  more_info: string | null;
}

export interface SimSender {
  sid: string;
  accountSid: string;
  /** `whatsapp:+E164` */
  senderId: string;
  status: SimSenderStatus;
  /** Answered as `offline_reasons` (null when empty, as for a sender that is online). */
  offlineReasons: SimOfflineReason[];
  /** `properties.quality_rating` and `properties.messaging_limit`. */
  qualityRating: string | null;
  messagingLimit: string | null;
  webhook: SimSenderWebhook;
}

/** Messaging v2 Channels/Senders: the accounts' WhatsApp senders (XE…) and their webhooks. */
export class Senders implements SimulatedProduct {
  readonly senders = new Map<string, SimSender>();
  readonly #core: SimulatorCore;
  readonly #oai: () => TwilioOpenApi;
  #senderSchema: OaiSchema | undefined;

  /** `oai` is asked only when a sender is first answered over REST (loading the descriptions takes a moment). */
  constructor(core: SimulatorCore, oai: () => TwilioOpenApi) {
    this.#core = core;
    this.#oai = oai;
  }

  add(accountSid: string, e164: string): SimSender {
    this.#core.accounts.require(accountSid);
    assertE164(e164);
    const sender: SimSender = {
      sid: newSid('XE'),
      accountSid,
      senderId: `whatsapp:${e164}`,
      status: 'ONLINE',
      offlineReasons: [],
      qualityRating: 'HIGH',
      messagingLimit: '1K Customers/24hr',
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

  /** The account's sender for `e164`, if it has one. */
  of(accountSid: string, e164: string): SimSender | undefined {
    return [...this.senders.values()].find(
      (s) => s.accountSid === accountSid && s.senderId === `whatsapp:${e164}`,
    );
  }

  /** The account that has a sender for `e164`. */
  ownerOf(e164: string): string | undefined {
    return [...this.senders.values()].find((s) => s.senderId === `whatsapp:${e164}`)?.accountSid;
  }

  reset() {
    this.senders.clear();
  }

  readonly operations: Readonly<Record<string, OperationHandler>> = {
    ListChannelsSender: (ctx) => this.#list(ctx),
    FetchChannelsSender: (ctx) => {
      const sender = this.#find(ctx);
      if (!sender) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, this.#resource(sender));
    },
    UpdateChannelsSender: (ctx) => {
      const sender = this.#find(ctx);
      if (!sender) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(202, this.#resource(updateWebhook(sender, ctx.body)));
    },
  };

  #find(ctx: OperationContext): SimSender | undefined {
    const sender = this.senders.get(ctx.pathParams.Sid ?? '');
    return sender?.accountSid === ctx.account.sid ? sender : undefined;
  }

  #list(ctx: OperationContext): Answer {
    const channel = single(ctx.query.Channel);
    if (channel === undefined)
      return twilioError(400, 20001, 'Missing required parameter Channel in the query');
    const invalid = rejectIfInvalid(ctx);
    if (invalid) return invalid;
    const found = [...this.senders.values()].filter(
      (s) => s.accountSid === ctx.account.sid && channel === 'whatsapp',
    );
    return ok(
      200,
      v2Page(
        '/v2/Channels/Senders',
        'senders',
        ctx.query,
        found.map((s) => this.#resource(s)),
      ),
    );
  }

  #resource(s: SimSender) {
    this.#senderSchema ??= this.#oai().responseSchema('FetchChannelsSender', 200);
    return shapeLike(this.#senderSchema, {
      sid: s.sid,
      status: s.status,
      sender_id: s.senderId,
      configuration: { waba_id: `waba-${s.accountSid.slice(-8)}`, verification_method: 'sms' },
      webhook: s.webhook,
      profile: { name: 'Simulated Business' },
      properties: { quality_rating: s.qualityRating, messaging_limit: s.messagingLimit },
      offline_reasons: s.offlineReasons.length === 0 ? null : s.offlineReasons,
      compliance: null,
      url: `${MESSAGING_ORIGIN}/v2/Channels/Senders/${s.sid}`,
    });
  }
}

/** Applies UpdateChannelsSender's `webhook` block: each field given (a string or null) replaces ours. */
function updateWebhook(sender: SimSender, body: unknown): SimSender {
  const webhook = (body as { webhook?: Record<string, unknown> | null } | undefined)?.webhook;
  if (webhook) {
    for (const key of Object.keys(sender.webhook) as (keyof SimSenderWebhook)[]) {
      const value = webhook[key];
      if (value === null || typeof value === 'string') sender.webhook[key] = value;
    }
  }
  return sender;
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
