import { SimulatorError } from '../core/errors.ts';

/** The content types the simulator keeps (Twilio has more; these are the ones WhatsApp templates use here). */
export const templateTypes = [
  'twilio/text',
  'twilio/media',
  'twilio/quick-reply',
  'twilio/call-to-action',
] as const;
export type TemplateType = (typeof templateTypes)[number];

/**
 * WhatsApp's verdict on a template, as the Content API reports it in
 * `approval_requests.status` (ContentAndApprovals) and `whatsapp.status` (ApprovalFetch).
 */
export type TemplateApproval = 'approved' | 'pending' | 'rejected' | 'paused' | 'unsubmitted';
const approvals: readonly TemplateApproval[] = ['approved', 'pending', 'rejected', 'paused', 'unsubmitted'];

/** A Content resource (HX…) of an account, with its WhatsApp approval. */
export interface SimTemplate {
  sid: string;
  accountSid: string;
  friendlyName: string;
  /** ISO 639-1, e.g. `en`. */
  language: string;
  /** Variable name (`1`, `2`, …) -> its sample value, used when a send leaves the variable out. */
  variables: Record<string, string>;
  /** Content type -> its definition, e.g. `{ 'twilio/text': { body: 'Hi {{1}}' } }`. */
  types: Record<string, Record<string, unknown>>;
  approval: TemplateApproval;
  /** WhatsApp's reason when `rejected` (and Twilio's empty string otherwise). */
  rejectionReason: string;
  category: string;
  dateCreated: Date;
  dateUpdated: Date;
}

/** The control API's input for a new template. */
export interface TemplateInput {
  friendlyName: string;
  language?: string;
  types: Record<string, Record<string, unknown>>;
  variables?: Record<string, string>;
  /** Default `approved`. */
  approval?: TemplateApproval;
  rejectionReason?: string;
  category?: string;
}

export function checkApproval(approval: unknown) {
  if (!approvals.includes(approval as TemplateApproval)) {
    throw new SimulatorError(`approval must be one of ${approvals.join(', ')}`);
  }
}

/** Checks a template input; `typeProblems` are the description's verdict on `types`. */
export function checkTemplateInput(input: TemplateInput, typeProblems: string[]) {
  if (typeof input.friendlyName !== 'string' || input.friendlyName.trim() === '') {
    throw new SimulatorError('friendlyName is required');
  }
  if (typeof input.types !== 'object' || input.types === null || Object.keys(input.types).length === 0) {
    throw new SimulatorError(`types must name at least one of ${templateTypes.join(', ')}`);
  }
  const unknown = Object.keys(input.types).filter((t) => !(templateTypes as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new SimulatorError(
      `types ${unknown.join(', ')} are not kept here; use ${templateTypes.join(', ')}`,
    );
  }
  if (typeProblems.length > 0) throw new SimulatorError(`types: ${typeProblems.join('; ')}`);
  if (input.approval !== undefined) checkApproval(input.approval);
  for (const [name, value] of Object.entries(input.variables ?? {})) {
    if (typeof value !== 'string')
      throw new SimulatorError(`variables.${name} must be a sample value (text)`);
  }
  const used = placeholdersIn(input.types);
  const missing = [...used].filter((name) => input.variables?.[name] === undefined);
  if (missing.length > 0) {
    // The Content API asks for a sample of every variable a WhatsApp template uses.
    throw new SimulatorError(
      `variables needs a sample value for ${missing.map((m) => `{{${m}}}`).join(', ')}`,
    );
  }
}

/** The `{{name}}` placeholders used anywhere in the types. */
export function placeholdersIn(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const match of value.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g)) found.add(match[1] as string);
  } else if (Array.isArray(value)) {
    for (const v of value) placeholdersIn(v, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) placeholdersIn(v, found);
  }
  return found;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/**
 * The type WhatsApp gets: the richest one the template has (buttons, then
 * media, then text), as Twilio picks the richest type the channel supports.
 */
export function whatsappType(template: SimTemplate): TemplateType {
  const order: TemplateType[] = [
    'twilio/call-to-action',
    'twilio/quick-reply',
    'twilio/media',
    'twilio/text',
  ];
  return order.find((t) => template.types[t] !== undefined) ?? 'twilio/text';
}

/**
 * What the customer reads: the WhatsApp type's body and media with each
 * variable replaced by the value sent, or by its sample when the send left it
 * out (Twilio's description of ContentVariables: "If values are not defined in
 * the `content_variables` parameter, the Template's default placeholder values are used").
 */
export function renderTemplate(
  template: SimTemplate,
  sent: Record<string, string>,
): { body: string; mediaUrls: string[] } {
  const values = { ...template.variables, ...sent };
  const type = template.types[whatsappType(template)] ?? {};
  const body = typeof type.body === 'string' ? fill(type.body, values) : '';
  const media = Array.isArray(type.media) ? type.media.filter((m): m is string => typeof m === 'string') : [];
  return { body, mediaUrls: media.map((m) => fill(m, values)) };
}

/** WhatsApp's template name: lowercase letters, digits and underscores. */
export function whatsappTemplateName(friendlyName: string): string {
  return (
    friendlyName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'template'
  );
}

/**
 * ContentVariables as CreateMessage receives it: a JSON object of text values.
 * Twilio refuses it with 21656 "The ContentVariables Parameter is invalid"
 * (https://www.twilio.com/docs/api/errors/21656) when it is not a JSON
 * object, when a value is null or empty, or when a value holds a newline, a
 * tab or more than four spaces in a row.
 */
export function readContentVariables(
  raw: string | undefined,
): { values: Record<string, string> } | { problem: string } {
  if (raw === undefined || raw.trim() === '') return { values: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { problem: 'ContentVariables is not a JSON string' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: 'ContentVariables must be a JSON object of variable names and values' };
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      return {
        problem: `ContentVariables.${name} must be text, got ${value === null ? 'null' : typeof value}`,
      };
    }
    const text = String(value);
    if (text.trim() === '') return { problem: `ContentVariables.${name} is empty` };
    if (/[\n\t]| {5,}/.test(text)) {
      return { problem: `ContentVariables.${name} holds a newline, a tab or more than four spaces in a row` };
    }
    values[name] = text;
  }
  return { values };
}

/** Variables sent that the template does not have. */
export function extraVariables(template: SimTemplate, sent: Record<string, string>): string[] {
  return Object.keys(sent).filter((name) => template.variables[name] === undefined);
}
