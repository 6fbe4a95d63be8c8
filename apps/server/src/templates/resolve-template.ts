import type { TemplateSend, WhatsappTemplate } from '@app/contracts';
import type { TwilioCredentials } from '@app/twilio';
import type { ConnectionRow } from '../connections/store.ts';
import { TemplateNotApprovedError, TemplateNotFoundError, TemplateVariablesError } from './errors.ts';
import { findTemplate, type TemplateServices } from './list-templates.ts';
import { fillPlaceholders } from './present-template.ts';

/** A template ready to send: checked, with the text and media the customer will get. */
export interface ResolvedTemplate {
  contentSid: string;
  variables: Record<string, string>;
  renderedBody: string;
  renderedMedia: string[];
}

/**
 * Checks a template send against the account's templates: the template exists,
 * WhatsApp approved it, and the values name exactly its variables. Twilio would
 * fill a missing variable with its sample ("If values are not defined in the
 * content_variables parameter, the Template's default placeholder values are
 * used", CreateMessage's ContentVariables in Twilio's API description) and fail
 * an unknown one, so both are refused here, before anything is stored or sent.
 * `connection` is the sender's own RLS read of it; `credentials` the send's, read once.
 */
export async function resolveTemplate(
  services: TemplateServices,
  connection: ConnectionRow,
  send: TemplateSend,
  credentials: () => Promise<TwilioCredentials>,
): Promise<ResolvedTemplate> {
  const template = await findTemplate(services, connection, send.contentSid, credentials);
  if (!template) throw new TemplateNotFoundError();
  if (!template.selectable) {
    throw new TemplateNotApprovedError(
      template.friendlyName,
      template.unavailableReason ?? 'it is not approved.',
    );
  }
  checkVariables(template, send.variables);
  return {
    contentSid: template.sid,
    variables: send.variables,
    renderedBody: fillPlaceholders(template.body, send.variables),
    renderedMedia: template.media.map((url) => fillPlaceholders(url, send.variables)),
  };
}

function checkVariables(template: WhatsappTemplate, values: Record<string, string>): void {
  const known = new Set(template.variables.map((v) => v.key));
  const missing = template.variables.filter((v) => values[v.key] === undefined);
  const first = missing[0];
  if (first) {
    const all = missing.map((v) => `{{${v.key}}}`).join(', ');
    throw new TemplateVariablesError(
      `Fill in ${all} of “${template.friendlyName}”${first.sample ? ` (for example “${first.sample}”)` : ''}.`,
      first.key,
    );
  }
  const extra = Object.keys(values).filter((key) => !known.has(key));
  const firstExtra = extra[0];
  if (firstExtra !== undefined) {
    throw new TemplateVariablesError(
      `“${template.friendlyName}” has no variable ${extra.map((k) => `{{${k}}}`).join(', ')}; remove ${extra.length === 1 ? 'it' : 'them'}.`,
      firstExtra,
    );
  }
}
