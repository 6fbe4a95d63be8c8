import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { computeTwilioSignature } from '../src/signature.ts';

describe('computeTwilioSignature', () => {
  const publishedExample = {
    authToken: '12345',
    url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
    params: {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+12349013030',
      Digits: '1234',
      From: '+12349013030',
      To: '+18005551212',
    },
  };

  // Twilio's security guide has printed this worked example with two caller numbers over
  // the years; each has its own signature, and both come out of the same algorithm.
  it("matches Twilio's published example (caller +12349013030)", () => {
    const { authToken, url, params } = publishedExample;
    expect(computeTwilioSignature(authToken, url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it("matches Twilio's published example (caller +14158675310)", () => {
    const { authToken, url } = publishedExample;
    const params = { ...publishedExample.params, Caller: '+14158675310', From: '+14158675310' };
    expect(computeTwilioSignature(authToken, url, params)).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  it("agrees with the twilio package's getExpectedTwilioSignature and validateRequest", () => {
    const cases: [string, string, Record<string, string>][] = [
      [publishedExample.authToken, publishedExample.url, publishedExample.params],
      [
        'a3f1c2d4e5b6a7980123456789abcdef',
        'http://127.0.0.1:3000/webhooks/twilio/whatsapp/5b1c?x=1',
        {
          Body: 'Olá, ¿qué tal? 👋 & = + %',
          From: 'whatsapp:+5511999999999',
          To: 'whatsapp:+14155238886',
          MediaUrl0: 'https://example.com/a b.jpg',
          NumMedia: '1',
          Empty: '',
        },
      ],
      ['t', 'https://example.com/', {}],
    ];
    for (const [token, url, params] of cases) {
      const ours = computeTwilioSignature(token, url, params);
      expect(ours).toBe(twilio.getExpectedTwilioSignature(token, url, params));
      expect(twilio.validateRequest(token, ours, url, params)).toBe(true);
      expect(twilio.validateRequest(`${token}x`, ours, url, params)).toBe(false);
    }
  });

  it('signs each value of a repeated parameter, sorted, like the twilio package', () => {
    const params = { MediaUrl: ['https://b.example/2.png', 'https://a.example/1.png'], To: '+15550001111' };
    expect(computeTwilioSignature('k', 'https://x.example/hook', params)).toBe(
      twilio.getExpectedTwilioSignature('k', 'https://x.example/hook', params),
    );
  });
});
