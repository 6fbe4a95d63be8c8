import type { TemplateApproval, WhatsappTemplate } from '@app/contracts';
import { templateApprovals } from '@app/contracts';
import type { ContentTemplate } from '@app/twilio';

/**
 * The type WhatsApp receives when Twilio has not said (an unsubmitted
 * template): the richest one the template defines. Twilio "sends the most
 * complex translation that the chosen channel supports"
 * (https://www.twilio.com/docs/content/content-types-overview).
 */
const richestFirst = [
  'whatsapp/authentication',
  'whatsapp/card',
  'twilio/carousel',
  'twilio/card',
  'twilio/call-to-action',
  'twilio/quick-reply',
  'twilio/list-picker',
  'twilio/catalog',
  'twilio/media',
  'twilio/location',
  'twilio/text',
];

const placeholder = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** `text` with each `{{name}}` replaced by its value (a placeholder without one stays as written). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(placeholder, (whole, name: string) => values[name] ?? whole);
}

function placeholdersIn(value: unknown, found: Set<string>): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(placeholder)) found.add(m[1] as string);
  else if (Array.isArray(value)) for (const v of value) placeholdersIn(v, found);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) placeholdersIn(v, found);
  return found;
}

/** `1`, `2`, `10` in numeric order; names after numbers, alphabetically. */
function byVariableKey(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a.localeCompare(b);
}

function approvalOf(status: string | undefined): TemplateApproval {
  if (status === undefined || status === '') return 'unsubmitted';
  const known = (templateApprovals as readonly string[]).includes(status);
  // A status Twilio adds later: not known to be sendable, so not selectable.
  return known ? (status as TemplateApproval) : 'pending';
}

/**
 * Why a template cannot be sent, for the picker. Templates are corrected and
 * submitted in the Content Template Builder
 * (https://www.twilio.com/docs/content/manage-your-templates-with-the-content-template-builder).
 */
function unavailableReason(approval: TemplateApproval, rejectionReason: string | null): string | null {
  switch (approval) {
    case 'approved':
      return null;
    case 'received':
    case 'pending':
      return 'WhatsApp is still reviewing this template; it can be sent once approved.';
    case 'rejected':
      return `WhatsApp rejected this template${rejectionReason ? ` (${rejectionReason})` : ''}. Correct it in Twilio's Content Template Builder and submit it again.`;
    case 'paused':
      return 'WhatsApp paused this template after negative feedback from customers; it cannot be sent until WhatsApp resumes it.';
    case 'disabled':
      return 'WhatsApp disabled this template after repeated negative feedback; create a new one in Twilio.';
    case 'unsubmitted':
      return "This template was never submitted to WhatsApp; submit it for approval in Twilio's Content Template Builder.";
  }
}

/** A Content resource as the template picker shows it. */
export function presentTemplate(t: ContentTemplate): WhatsappTemplate {
  const types = Object.keys(t.types);
  const whatsappType =
    t.whatsapp?.contentType && t.types[t.whatsapp.contentType] !== undefined
      ? t.whatsapp.contentType
      : (richestFirst.find((type) => t.types[type] !== undefined) ?? types[0] ?? 'twilio/text');
  const definition = t.types[whatsappType] ?? {};
  const textBody = t.types['twilio/text']?.body;
  const body =
    typeof definition.body === 'string' ? definition.body : typeof textBody === 'string' ? textBody : '';
  const media = Array.isArray(definition.media)
    ? definition.media.filter((m): m is string => typeof m === 'string')
    : [];
  const buttons = Array.isArray(definition.actions)
    ? definition.actions
        .map((a: unknown) =>
          typeof a === 'object' && a !== null && typeof (a as { title?: unknown }).title === 'string'
            ? (a as { title: string }).title
            : null,
        )
        .filter((title): title is string => title !== null)
    : [];
  // Every variable the template has a sample for, and any placeholder it uses without one.
  const keys = new Set([...Object.keys(t.variables), ...placeholdersIn(t.types, new Set())]);
  const variables = [...keys].sort(byVariableKey).map((key) => ({ key, sample: t.variables[key] ?? '' }));
  const approval = approvalOf(t.whatsapp?.status);
  const rejectionReason = approval === 'rejected' ? t.whatsapp?.rejectionReason || null : null;
  return {
    sid: t.sid,
    friendlyName: t.friendlyName,
    language: t.language,
    type: whatsappType,
    types,
    approval,
    rejectionReason,
    category: t.whatsapp?.category || null,
    variables,
    body,
    preview: fillPlaceholders(body, t.variables),
    media,
    buttons,
    selectable: approval === 'approved',
    unavailableReason: unavailableReason(approval, rejectionReason),
  };
}
