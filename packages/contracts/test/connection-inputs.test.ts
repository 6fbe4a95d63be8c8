import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  connectionIdInput,
  createConnectionInput,
  friendlyName,
  setActiveInput,
  updateConnectionInput,
} from '../src/connections.ts';
import { issuesFor } from './issues.ts';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'fedcba9876543210'.repeat(2);
const ID = '7d3f6a8e-2b1c-4d5e-9f0a-1b2c3d4e5f60';

describe('friendlyName', () => {
  it('keeps a name of up to 64 characters, trimmed', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.trim() !== ''),
        (name) => {
          expect(friendlyName.parse(` ${name} `)).toBe(name.trim());
        },
      ),
    );
  });

  it('turns an empty or blank name into no name', () => {
    expect(friendlyName.parse('')).toBeNull();
    expect(friendlyName.parse('   ')).toBeNull();
    expect(friendlyName.parse(null)).toBeNull();
    expect(friendlyName.parse(undefined)).toBeUndefined();
  });

  it('refuses a name longer than 64 characters (the column’s check)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 65, maxLength: 200 }).filter((s) => s.trim().length > 64),
        (name) => {
          expect(issuesFor(friendlyName, name)).toEqual([': Keep the name to 64 characters or fewer.']);
        },
      ),
    );
  });
});

describe('createConnectionInput', () => {
  it('normalizes every field of a connect form as pasted from the Twilio Console', () => {
    expect(
      createConnectionInput.parse({
        accountSid: ` AC${'0123456789ABCDEF'.repeat(2)} `,
        authToken: ` ${TOKEN.toUpperCase()}\n`,
        whatsappNumber: 'whatsapp:+1 (415) 523-8886',
        friendlyName: '  Support line ',
      }),
    ).toEqual({
      accountSid: SID,
      authToken: TOKEN,
      whatsappNumber: '+14155238886',
      friendlyName: 'Support line',
    });
  });

  it('does not need a friendly name', () => {
    expect(
      createConnectionInput.parse({ accountSid: SID, authToken: TOKEN, whatsappNumber: '+14155238886' }),
    ).toEqual({ accountSid: SID, authToken: TOKEN, whatsappNumber: '+14155238886' });
  });

  it('says which field is wrong and how, for every field at once', () => {
    expect(issuesFor(createConnectionInput, { accountSid: 'AC123', whatsappNumber: '4155238886' })).toEqual([
      'accountSid: An Account SID is "AC" followed by 32 hexadecimal characters; copy it from the Twilio Console home page.',
      'authToken: Enter the Auth Token.',
      'whatsappNumber: Enter the number in international format, with + and the country code, e.g. +14155238886.',
    ]);
  });
});

describe('updateConnectionInput', () => {
  it('may rename alone', () => {
    expect(updateConnectionInput.parse({ id: ID, friendlyName: 'Sales' })).toEqual({
      id: ID,
      friendlyName: 'Sales',
    });
  });

  it('may replace the Auth Token alone (rotated in the console)', () => {
    expect(updateConnectionInput.parse({ id: ID, authToken: TOKEN })).toEqual({ id: ID, authToken: TOKEN });
  });

  it('may change the Account SID together with its Auth Token', () => {
    expect(updateConnectionInput.parse({ id: ID, accountSid: SID, authToken: TOKEN })).toEqual({
      id: ID,
      accountSid: SID,
      authToken: TOKEN,
    });
  });

  it('refuses a new Account SID without that account’s Auth Token', () => {
    expect(issuesFor(updateConnectionInput, { id: ID, accountSid: SID })).toEqual([
      "authToken: Changing the Account SID needs that account's Auth Token too.",
    ]);
  });

  it('refuses an id that is not a UUID', () => {
    expect(issuesFor(updateConnectionInput, { id: 'conn_1', friendlyName: 'x' })).toEqual([
      'id: That connection id is not valid.',
    ]);
  });
});

describe('connectionIdInput and setActiveInput', () => {
  it('accept a UUID (and a boolean to activate or deactivate)', () => {
    expect(connectionIdInput.parse({ id: ID })).toEqual({ id: ID });
    expect(setActiveInput.parse({ id: ID, isActive: false })).toEqual({ id: ID, isActive: false });
  });

  it('refuse a malformed id with a readable message', () => {
    expect(issuesFor(connectionIdInput, { id: '../etc/passwd' })).toEqual([
      'id: That connection id is not valid.',
    ]);
  });
});
