import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountSid, authToken } from '../src/twilio.ts';
import { messagesFor } from './issues.ts';

const ACCOUNT_SID_FORMAT =
  'An Account SID is "AC" followed by 32 hexadecimal characters; copy it from the Twilio Console home page.';
const AUTH_TOKEN_FORMAT =
  'An Auth Token is 32 hexadecimal characters; reveal and copy it from the Twilio Console home page.';

const hexChar = fc.constantFrom(...'0123456789abcdefABCDEF');
const hex = (minLength: number, maxLength = minLength) =>
  fc.array(hexChar, { minLength, maxLength }).map((cs) => cs.join(''));
const padding = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \n');
const nonHexChar = fc.constantFrom(...'ghijklmnopqrstuvwxyzGXZ_-+!');

describe('accountSid', () => {
  it('accepts AC and 32 hex characters in any case, trimmed, and stores the hex in lower case', () => {
    fc.assert(
      fc.property(padding, hex(32), padding, (before, digits, after) => {
        expect(accountSid.parse(`${before}AC${digits}${after}`)).toBe(`AC${digits.toLowerCase()}`);
      }),
    );
  });

  it('refuses the wrong number of hex characters with a message saying what a SID looks like', () => {
    const wrongLength = fc.oneof(hex(1, 31), hex(33, 40));
    fc.assert(
      fc.property(wrongLength, (digits) => {
        expect(messagesFor(accountSid, `AC${digits}`)).toEqual([ACCOUNT_SID_FORMAT]);
      }),
    );
  });

  it('refuses a SID of another kind (an Auth Token, a phone number SID, a messaging service)', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'PN', 'MG', 'SK', 'XE', 'ac'), hex(32), (prefix, digits) => {
        expect(messagesFor(accountSid, `${prefix}${digits}`)).toEqual([ACCOUNT_SID_FORMAT]);
      }),
    );
  });

  it('refuses a non-hex character anywhere', () => {
    fc.assert(
      fc.property(hex(32), fc.integer({ min: 0, max: 31 }), nonHexChar, (digits, at, bad) => {
        const sid = `AC${digits.slice(0, at)}${bad}${digits.slice(at + 1)}`;
        expect(messagesFor(accountSid, sid)).toEqual([ACCOUNT_SID_FORMAT]);
      }),
    );
  });

  // A form shows a field's first message. (zod also reports the format message
  // for a blank value; `.min(1, { abort: true })` in src would drop it.)
  it('asks for the SID when it is missing or blank', () => {
    expect(messagesFor(accountSid, undefined)).toEqual(['Enter the Account SID.']);
    expect(messagesFor(accountSid, '  ')[0]).toBe('Enter the Account SID.');
  });
});

describe('authToken', () => {
  it('accepts 32 hex characters, trimmed, in lower case', () => {
    fc.assert(
      fc.property(padding, hex(32), padding, (before, token, after) => {
        expect(authToken.parse(`${before}${token}${after}`)).toBe(token.toLowerCase());
      }),
    );
  });

  it('refuses a token of the wrong length', () => {
    fc.assert(
      fc.property(fc.oneof(hex(1, 31), hex(33, 64)), (token) => {
        expect(messagesFor(authToken, token)).toEqual([AUTH_TOKEN_FORMAT]);
      }),
    );
  });

  it('refuses a token with spaces inside (a bad copy), even when the hex adds up to 32', () => {
    fc.assert(
      fc.property(
        hex(32),
        fc.integer({ min: 1, max: 31 }),
        fc.constantFrom(' ', '  ', '\t', '\u00a0'),
        (token, at, gap) => {
          expect(messagesFor(authToken, `${token.slice(0, at)}${gap}${token.slice(at)}`)).toEqual([
            AUTH_TOKEN_FORMAT,
          ]);
        },
      ),
    );
  });

  it('refuses a non-hex character anywhere', () => {
    fc.assert(
      fc.property(hex(32), fc.integer({ min: 0, max: 31 }), nonHexChar, (token, at, bad) => {
        expect(messagesFor(authToken, `${token.slice(0, at)}${bad}${token.slice(at + 1)}`)).toEqual([
          AUTH_TOKEN_FORMAT,
        ]);
      }),
    );
  });

  it('asks for the token when it is missing or blank', () => {
    expect(messagesFor(authToken, undefined)).toEqual(['Enter the Auth Token.']);
    expect(messagesFor(authToken, '')[0]).toBe('Enter the Auth Token.');
  });
});
