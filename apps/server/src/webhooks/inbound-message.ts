import type { InboundMessage, MessageMedia, WebhookEventSource } from '@app/db';
import { field, numberField, type WebhookPayload } from './payload.ts';

const MAX_MEDIA = 100;

/**
 * When Twilio received the message (ISO 8601). Twilio's inbound webhook has no such
 * parameter; reconciliation adds it from the Message resource's `date_created`, so a
 * message read back late keeps the customer's time. It is read from reconciled events
 * only: a webhook's payload is whatever was signed, and a field Twilio never sends must
 * not date a message (and so move its 24-hour window). A webhook's message is dated
 * when stored.
 */
export const RECEIVED_AT_FIELD = 'DateCreated';

/** A stored payload the worker cannot use (retrying will not help it). */
export class UnusablePayloadError extends Error {
  override name = 'UnusablePayloadError';
}

/**
 * What an inbound WhatsApp webhook says: text, every media item, sender profile,
 * location, button, and for a reconciled event when Twilio received it. Throws
 * UnusablePayloadError without From or To.
 */
export function inboundMessage(
  connectionId: string,
  messageSid: string,
  payload: WebhookPayload,
  source: WebhookEventSource,
): InboundMessage {
  const from = field(payload, 'From');
  const to = field(payload, 'To');
  if (!from || !to) throw new UnusablePayloadError('inbound message without From or To');
  // NumMedia says how many; MediaUrl<n> are read until the first gap as well, in
  // case NumMedia is missing. WhatsApp carries at most 10 media per message: no
  // payload (signed by a tenant's own token) may make this loop run longer than 100.
  const declared = Math.min(numberField(payload, 'NumMedia') ?? 0, MAX_MEDIA);
  const media: MessageMedia[] = [];
  for (let i = 0; i < MAX_MEDIA; i++) {
    const url = field(payload, `MediaUrl${i}`);
    if (!url) {
      if (i >= declared) break;
      continue;
    }
    media.push({ url, contentType: field(payload, `MediaContentType${i}`) });
  }
  return {
    connectionId,
    messageSid,
    fromNumber: from,
    toNumber: to,
    body: field(payload, 'Body'),
    media,
    profileName: field(payload, 'ProfileName'),
    waId: field(payload, 'WaId'),
    latitude: numberField(payload, 'Latitude'),
    longitude: numberField(payload, 'Longitude'),
    locationAddress: field(payload, 'Address'),
    locationLabel: field(payload, 'Label'),
    buttonPayload: field(payload, 'ButtonPayload'),
    buttonText: field(payload, 'ButtonText'),
    receivedAt: source === 'reconciliation' ? dateField(payload, RECEIVED_AT_FIELD) : null,
  };
}

function dateField(payload: WebhookPayload, name: string): Date | null {
  const value = field(payload, name);
  const ms = value === null ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}
