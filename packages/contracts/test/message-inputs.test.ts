import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_BODY_MAX, MESSAGE_MEDIA_MAX, sendMessageInput, whatsappRecipient } from '../src/messages.ts';
import { issuesFor } from './issues.ts';

const ID = '7d3f6a8e-2b1c-4d5e-9f0a-1b2c3d4e5f60';

describe('whatsappRecipient', () => {
  it('turns any valid E.164 number, with or without whatsapp:, into a whatsapp: address', () => {
    const digits = fc.array(fc.constantFrom(...'0123456789'), { minLength: 6, maxLength: 14 });
    fc.assert(
      fc.property(fc.constantFrom(...'123456789'), digits, fc.boolean(), (first, rest, prefixed) => {
        const e164 = `+${first}${rest.join('')}`;
        expect(whatsappRecipient.parse(prefixed ? `whatsapp:${e164}` : e164)).toBe(`whatsapp:${e164}`);
      }),
    );
  });
});

describe('sendMessageInput', () => {
  it('accepts a text message and defaults to no media', () => {
    expect(sendMessageInput.parse({ connectionId: ID, to: '+1 415 523 8886', body: ' hi ' })).toEqual({
      connectionId: ID,
      to: 'whatsapp:+14155238886',
      body: 'hi',
      mediaUrls: [],
    });
  });

  it('asks for a body or media when both are missing', () => {
    expect(issuesFor(sendMessageInput, { connectionId: ID, to: '+14155238886', body: '   ' })).toEqual([
      'body: Write a message, or attach a media URL.',
    ]);
  });

  it('refuses a body longer than WhatsApp allows', () => {
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        body: 'x'.repeat(MESSAGE_BODY_MAX + 1),
      }),
    ).toEqual([`body: Keep the message to ${MESSAGE_BODY_MAX} characters or fewer.`]);
  });

  it('accepts only https media URLs, at most ten', () => {
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        mediaUrls: ['http://example.com/a.jpg'],
      }),
    ).toEqual([
      'mediaUrls.0: Media URLs must be absolute https:// addresses Twilio can download, e.g. https://example.com/photo.jpg.',
    ]);
    const urls = Array.from({ length: MESSAGE_MEDIA_MAX + 1 }, (_, i) => `https://example.com/${i}.jpg`);
    expect(issuesFor(sendMessageInput, { connectionId: ID, to: '+14155238886', mediaUrls: urls })).toEqual([
      `mediaUrls: Attach at most ${MESSAGE_MEDIA_MAX} media URLs to one message.`,
    ]);
  });
});
