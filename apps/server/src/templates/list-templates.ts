import type { WhatsappTemplate } from '@app/contracts';
import type { Database } from '@app/db';
import type { TwilioAdapter, TwilioCredentials } from '@app/twilio';
import { type ActingUser, asUser } from '../auth/acting-user.ts';
import { type ConnectionRow, findConnection } from '../connections/store.ts';
import { credentialsOnce } from '../connections/twilio-access.ts';
import { asTwilioRefusal } from '../connections/twilio-errors.ts';
import type { CredentialVault } from '../vault/credential-vault.ts';
import { presentTemplate } from './present-template.ts';
import { templateCacheOf } from './template-cache.ts';

/** What listing templates needs from AppServices. */
export interface TemplateServices {
  db: Database;
  twilio: TwilioAdapter;
  vault: CredentialVault;
}

/**
 * `whatsapp.templates.list`: the Content API templates of the connection's
 * Twilio account, each with its WhatsApp approval. Read from Twilio at most
 * once a minute per connection unless `refresh` asks again; the caller's right
 * to the connection is checked (row-level security) on every call.
 */
export async function listTemplates({
  services,
  user,
  connectionId,
  refresh,
}: {
  services: TemplateServices;
  user: ActingUser;
  connectionId: string;
  refresh: boolean;
}): Promise<WhatsappTemplate[]> {
  // Not visible under RLS (another organization's, or gone): ConnectionNotFoundError.
  const connection = await asUser(services.db, user, (tx) => findConnection(tx, connectionId));
  return (await templatesOf(services, connection, refresh, credentialsOnce(services, connection))).templates;
}

/**
 * The connection's templates, from the cache unless `refresh`; `fromCache` says which.
 * `credentials` is asked only when Twilio is.
 */
async function templatesOf(
  services: TemplateServices,
  connection: ConnectionRow,
  refresh: boolean,
  credentials: () => Promise<TwilioCredentials>,
): Promise<{ templates: WhatsappTemplate[]; fromCache: boolean }> {
  const cache = templateCacheOf(services);
  if (!refresh) {
    const cached = cache.get(connection.id, connection.twilioAccountSid);
    if (cached) return { templates: cached, fromCache: true };
  }
  const account = await credentials();
  let templates: WhatsappTemplate[];
  try {
    templates = (await services.twilio.listTemplates(account)).map(presentTemplate);
  } catch (error) {
    throw asTwilioRefusal(error, 'sync');
  }
  cache.set(connection.id, connection.twilioAccountSid, templates);
  return { templates, fromCache: false };
}

/**
 * One template of the connection, for a send: from the cache when it has it,
 * otherwise read again (a template created or approved a moment ago). `connection`
 * comes from the sender's own RLS read; `credentials` are the send's, read once.
 */
export async function findTemplate(
  services: TemplateServices,
  connection: ConnectionRow,
  contentSid: string,
  credentials: () => Promise<TwilioCredentials>,
): Promise<WhatsappTemplate | undefined> {
  const first = await templatesOf(services, connection, false, credentials);
  const found = first.templates.find((t) => t.sid === contentSid);
  // Twilio's answer of a moment ago is final; a cached one may predate an approval.
  if (found?.selectable || !first.fromCache) return found;
  const fresh = await templatesOf(services, connection, true, credentials);
  return fresh.templates.find((t) => t.sid === contentSid);
}
