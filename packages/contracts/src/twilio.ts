/** Twilio's identifiers as people paste them: E.164 numbers, WhatsApp addresses, Account SIDs, Auth Tokens. */
import { z } from 'zod';

/**
 * A phone number in E.164 (`+14155238886`), with `missing` as the message when it
 * is blank. Accepts what people paste from Twilio's console: a `whatsapp:` prefix,
 * spaces, dashes, dots and parentheses.
 */
export function e164Number(missing: string) {
  return z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing, abort: true })
    .max(64, 'That is too long for a phone number.')
    .transform((raw) => normalizeWhatsappNumber(raw))
    .pipe(
      z
        .string()
        .regex(
          /^\+[1-9]\d{6,14}$/,
          'Enter the number in international format, with + and the country code, e.g. +14155238886.',
        ),
    );
}

/** The connection's own WhatsApp number, in E.164. */
export const whatsappNumber = e164Number('Enter the WhatsApp number.');

/** Strips `whatsapp:` and separators; leaves anything else for the E.164 check to refuse. */
export function normalizeWhatsappNumber(raw: string): string {
  let s = raw.trim();
  if (/^whatsapp:/i.test(s)) s = s.slice('whatsapp:'.length).trim();
  s = s.replace(/[\s\-.()\u00a0]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  return s;
}

/** `whatsapp:+E164`, the address form Twilio uses for WhatsApp. */
export const whatsappAddress = (e164: string) => `whatsapp:${e164}`;

/**
 * The number of a `whatsapp:` address, as a person reads it (and as the inbox keys a
 * customer); an address without the prefix is answered as it is.
 */
export const bareWhatsappAddress = (address: string) => address.replace(/^whatsapp:/, '');

export const accountSid = z
  .string({ error: 'Enter the Account SID.' })
  .trim()
  .min(1, { error: 'Enter the Account SID.', abort: true })
  .regex(
    /^AC[0-9a-fA-F]{32}$/,
    'An Account SID is "AC" followed by 32 hexadecimal characters; copy it from the Twilio Console home page.',
  )
  .transform((s) => `AC${s.slice(2).toLowerCase()}`);

export const authToken = z
  .string({ error: 'Enter the Auth Token.' })
  .trim()
  .min(1, { error: 'Enter the Auth Token.', abort: true })
  .regex(
    /^[0-9a-fA-F]{32}$/,
    'An Auth Token is 32 hexadecimal characters; reveal and copy it from the Twilio Console home page.',
  )
  .transform((s) => s.toLowerCase());

/**
 * A Messaging Service SID: "MG" and 32 hexadecimal characters, as Twilio's console
 * shows it under Messaging > Services (https://www.twilio.com/docs/messaging/services).
 */
export const messagingServiceSid = z
  .string({ error: 'Enter the Messaging Service SID.' })
  .trim()
  .min(1, { error: 'Enter the Messaging Service SID.', abort: true })
  .regex(
    /^MG[0-9a-fA-F]{32}$/,
    'A Messaging Service SID is "MG" followed by 32 hexadecimal characters; copy it from Messaging > Services in the Twilio Console.',
  )
  .transform((s) => `MG${s.slice(2).toLowerCase()}`);
