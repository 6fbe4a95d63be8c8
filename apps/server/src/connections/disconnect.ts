import { TwilioAdapterError, type WebhookSettings } from '@app/twilio';
import { DomainError } from '../domain-error.ts';
import type { AppServices } from '../services.ts';
import { StoredTokenUnreadableError } from './errors.ts';
import { senderOf } from './present.ts';
import { type ConnectionRow, storedSecret } from './store.ts';
import { credentialsOf } from './stored-token.ts';
import { pointsHere } from './twilio-access.ts';
import { webhookUrlsFor } from './webhook-urls.ts';

// Disconnecting keeps the history: the Auth Token is erased, the row and its messages
// and events stay, and Twilio's webhook settings go back to what they were before we
// connected. That last step needs the token, so it runs first; if Twilio refuses, the
// disconnect still happens and the answer says what to clear by hand.

export interface WebhookRestore {
  restored: boolean;
  /** A sentence for the person: what happened in Twilio, or what to change there by hand. */
  note: string;
}

const NOTHING_SET: WebhookSettings = {
  inboundUrl: null,
  inboundMethod: null,
  statusUrl: null,
  statusMethod: null,
};

/**
 * Puts Twilio's earlier webhook settings back on the connection's sender or number,
 * only where they still point at this connection (a console edit made since is left
 * alone). Never throws for Twilio's sake: a failure becomes the manual steps.
 */
export async function restoreTwilioWebhooks(
  services: Pick<AppServices, 'twilio' | 'publicUrl' | 'db' | 'vault'>,
  row: Pick<ConnectionRow, 'id' | 'whatsappNumber' | 'whatsappNumberSid' | 'messagingServiceSid'>,
): Promise<WebhookRestore> {
  const urls = webhookUrlsFor(services.publicUrl, row.id);
  const sender = senderOf(row);
  if (sender.kind === 'sandbox') {
    return {
      restored: false,
      note: `Twilio has no API for the sandbox's webhooks: in the Twilio Console, open Messaging > Try it out > Send a WhatsApp message > Sandbox settings, clear "When a message comes in" (${urls.inbound}) and "Status callback URL" (${urls.status}), then save.`,
    };
  }
  // What the person sees and must change: the service, or the sender or number.
  const target = sender.kind === 'messaging_service' ? `Messaging Service ${sender.sid}` : row.whatsappNumber;
  const byHand = (why: string) => ({
    restored: false,
    note:
      sender.kind === 'messaging_service'
        ? `${why} In the Twilio Console, open Messaging > Services, pick ${sender.sid}, open Integration, and replace the incoming-message URL ${urls.inbound} and the status callback URL ${urls.status} with the ones you used before (or clear them).`
        : `${why} In the Twilio Console, open ${
            sender.kind === 'sender'
              ? 'Messaging > Senders > WhatsApp senders'
              : 'Phone Numbers > Active numbers'
          }, pick ${row.whatsappNumber}, and replace the webhook URLs ${urls.inbound} and ${urls.status} with the ones you used before (or clear them).`,
  });
  try {
    // One service-role read for the token and the settings to put back.
    const secret = await storedSecret(services.db, row.id);
    const credentials = credentialsOf(services, secret);
    const current = await services.twilio.readWebhooks(credentials, sender);
    if (current && !pointsHere(current, urls)) {
      return {
        restored: false,
        note: `Twilio's webhooks for ${target} no longer pointed here, so they were left as they are.`,
      };
    }
    const before = secret?.twilioWebhooksBefore ?? NOTHING_SET;
    await services.twilio.restoreWebhooks(credentials, sender, before);
    return {
      restored: true,
      note:
        before.inboundUrl || before.statusUrl
          ? `Twilio's webhook settings for ${target} are back to what they were before it was connected.`
          : `Twilio's webhook URLs for ${target} were cleared, as they were before it was connected.`,
    };
  } catch (error) {
    if (error instanceof StoredTokenUnreadableError)
      return byHand(
        "Twilio's webhook settings could not be put back: the stored Auth Token could not be read.",
      );
    if (error instanceof TwilioAdapterError)
      return byHand(`Twilio's webhook settings could not be put back: ${error.message}`);
    throw error;
  }
}

/** Delete history asks for the number typed again; this one did not match. */
export class HistoryConfirmationMismatchError extends DomainError {
  readonly kind = 'invalid';

  constructor(number: string) {
    super(`Type ${number} exactly to delete its history.`, { field: 'confirmation' });
  }
}

/** Delete history is for a disconnected connection only. */
export class StillConnectedError extends DomainError {
  readonly kind = 'unmet_condition';

  constructor(number: string) {
    super(`Disconnect ${number} first; then an owner can delete its history.`);
  }
}
