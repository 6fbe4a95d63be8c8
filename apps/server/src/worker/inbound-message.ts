import type { MessageMedia } from '@app/db';

/** A stored webhook payload: the verified form params. */
export type WebhookPayload = Record<string, string | string[]>;

export function field(payload: WebhookPayload, name: string): string | null {
  const v = payload[name];
  const s = typeof v === 'string' ? v : v?.[0];
  return s === undefined || s === '' ? null : s;
}

function number(payload: WebhookPayload, name: string): number | null {
  const s = field(payload, name);
  if (s === null) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export interface InboundMessageFields {
  from: string;
  to: string;
  body: string | null;
  media: MessageMedia[];
  profileName: string | null;
  waId: string | null;
  latitude: number | null;
  longitude: number | null;
  locationAddress: string | null;
  locationLabel: string | null;
  buttonPayload: string | null;
  buttonText: string | null;
}

const MAX_MEDIA = 100;

export class UnusablePayloadError extends Error {
  override name = 'UnusablePayloadError';
}

/** What an inbound WhatsApp webhook says: text, every media item, sender profile, location, button. */
export function inboundMessageFields(payload: WebhookPayload): InboundMessageFields {
  const from = field(payload, 'From');
  const to = field(payload, 'To');
  if (!from || !to) throw new UnusablePayloadError('inbound message without From or To');
  // NumMedia says how many; MediaUrl<n> are read until the first gap as well, in
  // case NumMedia is missing. WhatsApp carries at most 10 media per message: no
  // payload (signed by a tenant's own token) may make this loop run longer than 100.
  const declared = Math.min(number(payload, 'NumMedia') ?? 0, MAX_MEDIA);
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
    from,
    to,
    body: field(payload, 'Body'),
    media,
    profileName: field(payload, 'ProfileName'),
    waId: field(payload, 'WaId'),
    latitude: number(payload, 'Latitude'),
    longitude: number(payload, 'Longitude'),
    locationAddress: field(payload, 'Address'),
    locationLabel: field(payload, 'Label'),
    buttonPayload: field(payload, 'ButtonPayload'),
    buttonText: field(payload, 'ButtonText'),
  };
}
