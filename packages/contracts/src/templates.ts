/**
 * WhatsApp templates: Content API resources (HX…) with their WhatsApp approval,
 * as `whatsapp.templates.list` shows them and `whatsapp.messages.send` sends them.
 *
 * Twilio: https://www.twilio.com/docs/content/content-types-overview (types, and
 * which need approval outside the 24-hour window) and
 * https://www.twilio.com/docs/content/content-api-resources (ContentAndApprovals).
 */
import { z } from 'zod';
import { connectionId } from './connections.ts';

/**
 * Content types Twilio documents. A template's `type` is a plain string in the
 * output (Twilio adds types now and then); these are the ones the SPA knows how to show.
 */
export const templateContentTypes = [
  'twilio/text',
  'twilio/media',
  'twilio/quick-reply',
  'twilio/call-to-action',
  'twilio/list-picker',
  'twilio/card',
  'twilio/location',
  'twilio/carousel',
  'twilio/catalog',
  'whatsapp/card',
  'whatsapp/authentication',
] as const;
export type TemplateContentType = (typeof templateContentTypes)[number];

/**
 * WhatsApp's verdict on a template, as ContentAndApprovals reports it in
 * `approval_requests.status`. `unsubmitted`: never sent for review; `received`
 * and `pending`: in review; `paused` (quality) and `disabled`: WhatsApp stopped
 * it. A status Twilio adds later is shown as `pending` (not selectable).
 */
export const templateApprovals = [
  'approved',
  'pending',
  'received',
  'rejected',
  'paused',
  'disabled',
  'unsubmitted',
] as const;
export const templateApproval = z.enum(templateApprovals);
export type TemplateApproval = z.infer<typeof templateApproval>;

/** A Content SID: `HX` and 32 hexadecimal characters. */
export const contentSid = z
  .string({ error: 'Choose a template.' })
  .trim()
  .regex(/^HX[0-9a-fA-F]{32}$/, 'That template id is not valid; choose a template from the list.');

export const listTemplatesInput = z.object({
  connectionId,
  /** Skip the server's short cache and ask Twilio again (after approving a template in Twilio's console). */
  refresh: z.boolean().optional().default(false),
});
export type ListTemplatesInput = z.input<typeof listTemplatesInput>;

export const templateVariable = z.object({
  /** The placeholder's name: `1` for `{{1}}`. */
  key: z.string(),
  /** The sample value the template was created with (what the preview shows). */
  sample: z.string(),
});
export type TemplateVariable = z.infer<typeof templateVariable>;

/** One template of the connection's Twilio account, as `whatsapp.templates.list` returns it. */
export const whatsappTemplate = z.object({
  /** Content SID, `HX…`: what `messages.send`'s `template.contentSid` takes. */
  sid: z.string(),
  friendlyName: z.string(),
  /** ISO 639-1 (e.g. `en`), as the Content API keeps it. */
  language: z.string(),
  /** The content type WhatsApp receives (the template's richest: call-to-action, quick-reply, media, text). */
  type: z.string(),
  /** Every content type the template defines. */
  types: z.array(z.string()),
  approval: templateApproval,
  /** WhatsApp's reason when rejected (e.g. `INVALID_FORMAT`); null otherwise. */
  rejectionReason: z.string().nullable(),
  /** WhatsApp's category (`UTILITY`, `MARKETING`, `AUTHENTICATION`) once submitted. */
  category: z.string().nullable(),
  /** Sorted by key (`1`, `2`, … numerically). */
  variables: z.array(templateVariable),
  /** The text with its `{{1}}` placeholders, as written. */
  body: z.string(),
  /** `body` with every placeholder replaced by its sample. */
  preview: z.string(),
  /** Media URLs of a media template (placeholders kept). */
  media: z.array(z.string()),
  /** Button titles of a quick-reply or call-to-action template. */
  buttons: z.array(z.string()),
  /** Only approved templates can be sent (outside the window, or at all). */
  selectable: z.boolean(),
  /** Why it cannot be sent, in a sentence; null when selectable. */
  unavailableReason: z.string().nullable(),
});
export type WhatsappTemplate = z.infer<typeof whatsappTemplate>;

export const whatsappTemplateList = z.array(whatsappTemplate);

/**
 * One value of a template variable. Twilio refuses ContentVariables with 21656
 * (https://www.twilio.com/docs/api/errors/21656) when a value is empty or holds
 * a newline, a tab or more than four spaces in a row.
 */
export const templateVariableValue = z
  .string({ error: 'Each variable needs a value (text).' })
  .trim()
  .min(1, 'Fill in every variable of the template.')
  .max(1024, 'Keep each variable to 1,024 characters or fewer.')
  .refine((v) => !/[\n\t]| {5,}/.test(v), {
    message:
      'A variable cannot hold a line break, a tab or more than four spaces in a row (WhatsApp refuses them).',
  });

/** A template to send: its Content SID and a value for each of its variables. */
export const templateSend = z.object({
  contentSid,
  /** Variable key (`1`) -> value. Must name exactly the template's variables. */
  variables: z.record(z.string().min(1).max(64), templateVariableValue).default({}),
});
export type TemplateSend = z.infer<typeof templateSend>;
