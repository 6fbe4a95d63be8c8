import { randomBytes } from 'node:crypto';
import { SimulatorError } from './errors.ts';

/** A Twilio SID: two-letter prefix and 32 lowercase hex characters. */
export const newSid = (prefix: 'AC' | 'PN' | 'XE' | 'SM' | 'MM' | 'ME' | 'HX' | 'MG') =>
  `${prefix}${randomBytes(16).toString('hex')}`;

export const newAuthToken = () => randomBytes(16).toString('hex');

/** RFC 2822, as Twilio's v2010 API writes dates: "Thu, 30 Jul 2015 20:00:00 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export const e164Pattern = /^\+[1-9]\d{6,14}$/;
export const whatsappAddressPattern = /^whatsapp:\+[1-9]\d{6,14}$/;

export function assertE164(e164: string) {
  if (!e164Pattern.test(e164)) throw new SimulatorError(`${e164} is not an E.164 number like +14155551234`);
}
