import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bareWhatsappAddress,
  normalizeWhatsappNumber,
  whatsappAddress,
  whatsappNumber,
} from '../src/twilio.ts';
import { messagesFor } from './issues.ts';

const INTERNATIONAL_FORMAT =
  'Enter the number in international format, with + and the country code, e.g. +14155238886.';

const digit = fc.constantFrom(...'0123456789');
const nonZeroDigit = fc.constantFrom(...'123456789');

/** Any valid E.164 number: +, a non-zero digit, then 6 to 14 more digits. */
const e164 = fc
  .tuple(nonZeroDigit, fc.array(digit, { minLength: 6, maxLength: 14 }))
  .map(([first, rest]) => `+${first}${rest.join('')}`);

/** Separators people paste from Twilio's console and their address books. */
const separator = fc.constantFrom('', '', '', ' ', '-', '.', '(', ')', ' (', ') ', ' - ', '\u00a0');

/** `number` as a person might paste it: separators between digits, maybe `whatsapp:`, padding. */
const pasted = (number: string) =>
  fc
    .tuple(
      fc.array(separator, { minLength: number.length, maxLength: number.length }),
      fc.constantFrom('', 'whatsapp:', 'WhatsApp:', 'whatsapp: '),
      fc.constantFrom('', ' ', '  ', '\t'),
      fc.constantFrom('', ' ', '\n'),
    )
    .map(([seps, prefix, before, after]) => {
      const body = [...number].map((ch, i) => (i === 0 ? ch : `${seps[i]}${ch}`)).join('');
      return `${before}${prefix}${body}${after}`;
    })
    .filter((s) => s.trim().length <= 64);

describe('whatsappNumber', () => {
  it('accepts any valid E.164 number however it is formatted, and gives back the E.164', () => {
    fc.assert(
      fc.property(
        e164.chain((number) => pasted(number).map((input) => ({ number, input }))),
        ({ number, input }) => {
          expect(whatsappNumber.parse(input)).toBe(number);
        },
      ),
    );
  });

  it('reads the international 00 prefix as +', () => {
    fc.assert(
      fc.property(e164, (number) => {
        expect(whatsappNumber.parse(`00${number.slice(1)}`)).toBe(number);
      }),
    );
  });

  it('is idempotent: a normalized number normalizes to itself', () => {
    fc.assert(
      fc.property(e164, (number) => {
        expect(normalizeWhatsappNumber(number)).toBe(number);
        expect(normalizeWhatsappNumber(whatsappAddress(number))).toBe(number);
      }),
    );
  });

  it('refuses a number without + or 00 with the international-format message', () => {
    fc.assert(
      fc.property(e164, (number) => {
        expect(messagesFor(whatsappNumber, number.slice(1))).toEqual([INTERNATIONAL_FORMAT]);
      }),
    );
  });

  it('refuses too few or too many digits with the international-format message', () => {
    const tooShort = fc
      .tuple(nonZeroDigit, fc.array(digit, { maxLength: 5 }))
      .map(([f, r]) => `+${f}${r.join('')}`);
    const tooLong = fc
      .tuple(nonZeroDigit, fc.array(digit, { minLength: 15, maxLength: 30 }))
      .map(([f, r]) => `+${f}${r.join('')}`);
    fc.assert(
      fc.property(fc.oneof(tooShort, tooLong), (input) => {
        expect(messagesFor(whatsappNumber, input)).toEqual([INTERNATIONAL_FORMAT]);
      }),
    );
  });

  it('refuses letters anywhere in the number with the international-format message', () => {
    fc.assert(
      fc.property(e164, fc.nat(), fc.constantFrom(...'abcxyzABCXYZ#*'), (number, at, letter) => {
        const i = 1 + (at % (number.length - 1));
        const input = `${number.slice(0, i)}${letter}${number.slice(i)}`;
        expect(messagesFor(whatsappNumber, input)).toEqual([INTERNATIONAL_FORMAT]);
      }),
    );
  });

  it('refuses a country code starting with 0', () => {
    expect(messagesFor(whatsappNumber, '+0155523888')).toEqual([INTERNATIONAL_FORMAT]);
  });

  it('asks for the number when it is empty or blank', () => {
    expect(messagesFor(whatsappNumber, '')).toEqual(['Enter the WhatsApp number.']);
    expect(messagesFor(whatsappNumber, '   ')).toEqual(['Enter the WhatsApp number.']);
    expect(messagesFor(whatsappNumber, undefined)).toEqual(['Enter the WhatsApp number.']);
  });

  it('refuses a paste longer than any phone number', () => {
    expect(messagesFor(whatsappNumber, `+1${'5'.repeat(70)}`)).toEqual([
      'That is too long for a phone number.',
    ]);
  });

  it('formats an E.164 number as the whatsapp: address Twilio uses', () => {
    expect(whatsappAddress('+14155238886')).toBe('whatsapp:+14155238886');
  });

  it('reads the number back out of a whatsapp: address, and leaves a bare number as it is', () => {
    expect(bareWhatsappAddress('whatsapp:+14155238886')).toBe('+14155238886');
    expect(bareWhatsappAddress('+14155238886')).toBe('+14155238886');
    fc.assert(
      fc.property(e164, (number) => {
        expect(bareWhatsappAddress(whatsappAddress(number))).toBe(number);
      }),
    );
    // Only a leading prefix is Twilio's channel: nothing else in the text is touched.
    expect(bareWhatsappAddress('whatsapp:whatsapp:+1415')).toBe('whatsapp:+1415');
    expect(bareWhatsappAddress('+1415 whatsapp:')).toBe('+1415 whatsapp:');
  });
});
