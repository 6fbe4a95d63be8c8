import type { ContentTemplates } from '../content/product.ts';
import { readContentVariables } from '../content/templates.ts';
import { e164Pattern, whatsappAddressPattern } from '../core/ids.ts';
import type { Answer, Form, OperationContext } from '../core/rest.ts';
import { all, rejectIfInvalid, single, twilioError } from '../core/rest.ts';
import type { MessagingServices } from '../services/product.ts';
import type { Addresses } from './addresses.ts';
import type { OutboundMessageInput } from './types.ts';

/** What CreateMessage consults besides the form. */
export interface CreateMessageContext {
  addresses: Addresses;
  templates: ContentTemplates;
  services: MessagingServices;
  /** The sender a Messaging Service sends from to this recipient, if it has one for the channel. */
  pickServiceSender(accountSid: string, serviceSid: string, to: string): string | undefined;
}

/** The answer refusing the request, instead of the message. */
type Refused = { refused: Answer };

const refuse = (status: number, code: number, message: string): Refused => ({
  refused: twilioError(status, code, message),
});

/**
 * CreateMessage's form, checked the way Twilio checks it (its error codes,
 * in its order), then against the description: the message to create, or the answer refusing it.
 */
export function readCreateMessage(
  ctx: OperationContext,
  deps: CreateMessageContext,
): { message: OutboundMessageInput } | Refused {
  const form = (ctx.body ?? {}) as Form;
  const to = single(form.To);
  const from = single(form.From);
  const messagingServiceSid = single(form.MessagingServiceSid);
  const body = single(form.Body);
  const mediaUrls = all(form.MediaUrl);
  const contentSid = single(form.ContentSid);
  const statusCallback = single(form.StatusCallback);
  if (to === undefined || to === '') return refuse(400, 21604, "A 'To' phone number is required.");
  if (from === undefined && messagingServiceSid === undefined) {
    return refuse(400, 21603, "A 'From' phone number is required.");
  }
  if ((body === undefined || body === '') && mediaUrls.length === 0 && contentSid === undefined) {
    return refuse(400, 21602, 'Message body is required.');
  }
  const toIsWhatsapp = to.startsWith('whatsapp:');
  if (!(toIsWhatsapp ? whatsappAddressPattern.test(to) : e164Pattern.test(to))) {
    return refuse(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  }
  const sender = resolveSender(ctx, deps, from, messagingServiceSid, to);
  if ('refused' in sender) return sender;
  const badMedia = mediaUrls.find((u) => !/^https?:\/\//.test(u) || !URL.canParse(u));
  if (badMedia !== undefined) return refuse(400, 21620, `Invalid media URL(s): ${badMedia}`);
  if (statusCallback !== undefined && !URL.canParse(statusCallback)) {
    return refuse(400, 21609, `Invalid StatusCallback url: ${statusCallback}`);
  }
  if (body !== undefined && body.length > 1600) {
    return refuse(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  }
  const template = readTemplate(ctx, deps.templates, contentSid, single(form.ContentVariables));
  if ('refused' in template) return template;
  const invalid = rejectIfInvalid(ctx);
  if (invalid) return { refused: invalid };
  return {
    message: {
      accountSid: ctx.account.sid,
      from: sender.from,
      to,
      body: body ?? '',
      mediaUrls,
      statusCallback: statusCallback ?? null,
      contentSid: contentSid ?? null,
      contentVariables: template.contentVariables,
      messagingServiceSid: messagingServiceSid ?? null,
    },
  };
}

/**
 * The From the message is sent from: the form's, or one the Messaging Service picks for the
 * recipient's channel; refused when the service, or the sender, is not the account's.
 */
function resolveSender(
  ctx: OperationContext,
  { addresses, services, pickServiceSender }: CreateMessageContext,
  formFrom: string | undefined,
  messagingServiceSid: string | undefined,
  to: string,
): { from: string } | Refused {
  let from = formFrom;
  const toIsWhatsapp = to.startsWith('whatsapp:');
  if (messagingServiceSid !== undefined) {
    // 21701 "The Messaging Service does not exist" (https://www.twilio.com/docs/api/errors/21701):
    // unknown, or another account's.
    if (!services.of(ctx.account.sid, messagingServiceSid)) {
      return refuse(400, 21701, 'The Messaging Service does not exist');
    }
    // Without a From, Twilio picks a sender of the service's pool for the recipient's channel. A pool
    // with none for it is refused with 21704 "The Messaging Service contains no phone numbers" (Twilio's
    // code for an empty pool, as its API answers it; its error page could not be checked here).
    from ??= pickServiceSender(ctx.account.sid, messagingServiceSid, to);
    if (from === undefined) return refuse(400, 21704, 'The Messaging Service contains no phone numbers');
  }
  if (from === undefined) return refuse(400, 21603, "A 'From' phone number is required.");
  if (from.startsWith('whatsapp:') !== toIsWhatsapp) {
    return refuse(400, 21910, 'Invalid From and To pair. From and To should be of the same channel');
  }
  // Twilio refuses a WhatsApp From that is no WhatsApp sender of the account at once, with HTTP 400 and
  // 63007 (https://www.twilio.com/docs/errors/63007: a From "not associated with any Channel or
  // WhatsApp installation"), not later through the status callback.
  if (!addresses.ownsSender(ctx.account.sid, from)) {
    return toIsWhatsapp
      ? refuse(400, 63007, 'Twilio could not find a Channel with the specified From address')
      : refuse(
          400,
          21606,
          `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
        );
  }
  return { from };
}

/** A ContentSid must be one of the account's templates, and its ContentVariables must read. */
function readTemplate(
  ctx: OperationContext,
  templates: ContentTemplates,
  contentSid: string | undefined,
  rawVariables: string | undefined,
): { contentVariables: Record<string, string> | null } | Refused {
  if (contentSid === undefined) return { contentVariables: null };
  // 21655 "The ContentSid is Invalid" (https://www.twilio.com/docs/api/errors/21655): unknown, deleted,
  // or another account's template.
  if (templates.of(ctx.account.sid, contentSid) === undefined) {
    return refuse(400, 21655, 'The ContentSid is Invalid');
  }
  const read = readContentVariables(rawVariables);
  if ('problem' in read) {
    return refuse(400, 21656, `The ContentVariables Parameter is invalid: ${read.problem}`);
  }
  return { contentVariables: read.values };
}
