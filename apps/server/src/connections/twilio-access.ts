import {
  type MessagingServiceSenders,
  TwilioAdapterError,
  type TwilioCredentials,
  type WebhookSettings,
  type WhatsappSender,
} from '@app/twilio';
import type { AppServices } from '../services.ts';
import { CredentialDecryptionError } from '../vault/credential-vault.ts';
import { ConnectionNotFoundError } from './errors.ts';
import { senderOf } from './present.ts';
import { type ConnectionRow, storedSecret } from './store.ts';
import { credentialsOf } from './stored-token.ts';
import { asTwilioRefusal } from './twilio-errors.ts';
import { webhookUrlsFor } from './webhook-urls.ts';

// Twilio calls for the connect flow. Each runs outside any database transaction:
// a transaction must never stay open across an HTTP call to a third party.

/** A connect-flow call to Twilio; a refusal becomes one a person can act on. */
async function connectCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asTwilioRefusal(error, 'connect');
  }
}

/** The connect flow's first step alone: the credentials, checked with Twilio. */
export function verifyTwilioCredentials(
  services: Pick<AppServices, 'twilio'>,
  credentials: TwilioCredentials,
): Promise<void> {
  return connectCall(async () => {
    await services.twilio.verifyCredentials(credentials);
  });
}

/** The connect flow's second step for a number: its WhatsApp sender in the account. */
export function findTwilioSender(
  services: Pick<AppServices, 'twilio'>,
  credentials: TwilioCredentials,
  whatsappNumber: string,
): Promise<WhatsappSender> {
  return connectCall(() => services.twilio.findWhatsappSender(credentials, whatsappNumber));
}

/** Checks the credentials and finds the number in that account: the two steps, in order. */
export async function verifyTwilioAccess(
  services: Pick<AppServices, 'twilio'>,
  credentials: TwilioCredentials,
  whatsappNumber: string,
): Promise<WhatsappSender> {
  await verifyTwilioCredentials(services, credentials);
  return findTwilioSender(services, credentials, whatsappNumber);
}

/**
 * The connect flow's second step for a Messaging Service: the service, in this account
 * (another account's is not found), and its WhatsApp senders (none: refused).
 */
export function findTwilioMessagingService(
  services: Pick<AppServices, 'twilio'>,
  credentials: TwilioCredentials,
  serviceSid: string,
): Promise<MessagingServiceSenders> {
  return connectCall(() => services.twilio.findMessagingService(credentials, serviceSid));
}

/**
 * Re-checks a stored connection's credentials and what it connects: its number's
 * sender, or its Messaging Service (and that service's WhatsApp senders now).
 */
export async function verifyConnectionTarget(
  services: Pick<AppServices, 'twilio'>,
  credentials: TwilioCredentials,
  row: Pick<ConnectionRow, 'whatsappNumber' | 'whatsappNumberSid' | 'messagingServiceSid'>,
): Promise<{ whatsappNumberSid: string | null; messagingServiceSenders?: string[] }> {
  if (row.messagingServiceSid === null) {
    const sender = await verifyTwilioAccess(services, credentials, row.whatsappNumber);
    return { whatsappNumberSid: sender.sid };
  }
  await verifyTwilioCredentials(services, credentials);
  const service = await findTwilioMessagingService(services, credentials, row.messagingServiceSid);
  const own = service.whatsappSenders.find((s) => s.number === row.whatsappNumber);
  return {
    whatsappNumberSid: own?.sid ?? row.whatsappNumberSid,
    messagingServiceSenders: service.whatsappSenders.map((s) => s.number),
  };
}

export const WEBHOOKS_NOT_SET =
  'Twilio could not be reached to set the webhooks. Try "Configure webhooks" again, or paste the URLs in the Twilio Console.';

export type WebhookSetup = {
  configured: boolean;
  error: string | null;
  /**
   * What Twilio held before this call pointed the webhooks here, to put back at
   * disconnect; null when nothing new was learnt (the sandbox, a failure, or the
   * settings already pointed here, so the earlier ones stay as stored).
   */
  before: WebhookSettings | null;
};

/** Whether Twilio's settings point at this connection's URLs. */
export function pointsHere(settings: WebhookSettings, urls: { inbound: string; status: string }): boolean {
  return settings.inboundUrl === urls.inbound || settings.statusUrl === urls.status;
}

/**
 * Points the sender's (or number's) webhooks at this connection's URLs, after reading
 * what they were (restored at disconnect). A failure is reported, not thrown: the
 * connection is stored already and the person can retry, or paste the URLs by hand.
 */
export async function configureTwilioWebhooks(
  services: Pick<AppServices, 'twilio' | 'publicUrl'>,
  credentials: TwilioCredentials,
  row: Pick<ConnectionRow, 'id' | 'whatsappNumberSid' | 'messagingServiceSid'>,
): Promise<WebhookSetup> {
  const urls = webhookUrlsFor(services.publicUrl, row.id);
  const sender = senderOf(row);
  try {
    const current = await services.twilio.readWebhooks(credentials, sender);
    const { configured } = await services.twilio.configureWebhooks(credentials, sender, {
      inboundUrl: urls.inbound,
      statusUrl: urls.status,
    });
    return { configured, error: null, before: current && !pointsHere(current, urls) ? current : null };
  } catch (error) {
    // Said after the connection was stored: Twilio's own reason, never "nothing was saved".
    return {
      configured: false,
      error:
        error instanceof TwilioAdapterError && error.kind !== 'unreachable'
          ? error.message
          : WEBHOOKS_NOT_SET,
      before: null,
    };
  }
}

/** The row's fields for a WebhookSetup: the flag, and the earlier settings when newly learnt. */
export function webhookSetupPatch(setup: WebhookSetup) {
  return {
    webhookConfigured: setup.configured,
    ...(setup.before ? { twilioWebhooksBefore: setup.before } : {}),
  };
}

/**
 * The stored token, decrypted for one call; a row it does not belong to fails loudly.
 * `row` comes from the caller's RLS read (which proved access); the ciphertext is
 * then read as the service role, since signed-in users cannot SELECT it.
 */
export async function storedCredentials(
  services: Pick<AppServices, 'vault' | 'db'>,
  row: Pick<ConnectionRow, 'id'>,
): Promise<TwilioCredentials> {
  return credentialsOf(services, await storedSecret(services.db, row.id));
}

/**
 * The stored credentials of `row`, read (and decrypted) on the first call only: one
 * request that may need them at several steps (a template send: the template list on a
 * cache miss, then the send) reads the secret once. Same errors as storedCredentials.
 */
export function credentialsOnce(
  services: Pick<AppServices, 'vault' | 'db'>,
  row: Pick<ConnectionRow, 'id'>,
): () => Promise<TwilioCredentials> {
  let read: Promise<TwilioCredentials> | undefined;
  return () => {
    read ??= storedCredentials(services, row);
    return read;
  };
}

/**
 * Both stored tokens, decrypted (null where none is kept, or where it no longer
 * decrypts: an update replaces it anyway), for deciding what an update rotates.
 */
export async function storedTokenPair(
  services: Pick<AppServices, 'vault' | 'db'>,
  row: Pick<ConnectionRow, 'id'>,
): Promise<{ current: string | null; previous: string | null }> {
  const secret = await storedSecret(services.db, row.id);
  if (!secret) throw new ConnectionNotFoundError();
  const binding = { rowId: secret.id, accountSid: secret.twilioAccountSid };
  const readable = (envelope: string | null, slot: 'current' | 'previous') => {
    if (envelope === null) return null;
    try {
      return services.vault.decrypt(envelope, { ...binding, slot });
    } catch (error) {
      if (error instanceof CredentialDecryptionError) return null;
      throw error;
    }
  };
  return {
    current: readable(secret.twilioAuthTokenHash, 'current'),
    previous: readable(secret.twilioPreviousAuthToken, 'previous'),
  };
}
