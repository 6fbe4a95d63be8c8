import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, parseFormBody, signedWebhookUrl } from '../src/webhooks/index.ts';
import {
  countEvents,
  EMPTY_TWIML,
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  statusParams,
  statusPath,
  twilioRequest,
  useWebhookServer,
  WEBHOOK_PUBLIC_URL,
} from './webhook-helpers.ts';

// Twilio's published example (docs "Webhooks security", helper library docs): auth
// token 12345, this URL and these parameters sign to these values.
const TWILIO_EXAMPLE = {
  authToken: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  vectors: [
    {
      params:
        'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212',
      signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    },
    {
      params:
        'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212',
      signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
    },
  ],
};

describe("Twilio's published signature examples", () => {
  for (const v of TWILIO_EXAMPLE.vectors) {
    it(`validate through our body parser and check (${v.signature})`, () => {
      const params = parseFormBody(v.params);
      expect(isValidTwilioSignature(TWILIO_EXAMPLE.authToken, v.signature, TWILIO_EXAMPLE.url, params)).toBe(
        true,
      );
    });

    it(`fail with one byte changed in the body, URL, token or signature (${v.signature})`, () => {
      const params = parseFormBody(v.params.replace('Digits=1234', 'Digits=1235'));
      expect(isValidTwilioSignature(TWILIO_EXAMPLE.authToken, v.signature, TWILIO_EXAMPLE.url, params)).toBe(
        false,
      );
      const ok = parseFormBody(v.params);
      expect(isValidTwilioSignature('12346', v.signature, TWILIO_EXAMPLE.url, ok)).toBe(false);
      expect(
        isValidTwilioSignature(
          TWILIO_EXAMPLE.authToken,
          v.signature,
          TWILIO_EXAMPLE.url.replace('foo=1', 'foo=2'),
          ok,
        ),
      ).toBe(false);
      const flipped = `${v.signature[0] === 'A' ? 'B' : 'A'}${v.signature.slice(1)}`;
      expect(isValidTwilioSignature(TWILIO_EXAMPLE.authToken, flipped, TWILIO_EXAMPLE.url, ok)).toBe(false);
    });
  }

  it('the URL checked is PUBLIC_URL plus the path and query as received', () => {
    expect(signedWebhookUrl(new URL('https://hooks.example.com'), '/webhooks/x?a=1&b=%20')).toBe(
      'https://hooks.example.com/webhooks/x?a=1&b=%20',
    );
    expect(signedWebhookUrl(new URL('https://example.com:8443/base/'), '/webhooks/x')).toBe(
      'https://example.com:8443/base/webhooks/x',
    );
  });
});

describe('signature checks on the webhook routes', () => {
  const server = useWebhookServer();

  async function seeded() {
    return seedConnection(server.sql, server.vault);
  }

  it('a correctly signed inbound message is stored and answered with empty TwiML', async () => {
    const c = await seeded();
    const res = await server.app.inject(
      twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(EMPTY_TWIML);
    expect(await countEvents(server.sql, c.id)).toBe(1);
  });

  it('a correctly signed status callback is stored and answered 200 with an empty body', async () => {
    const c = await seeded();
    const res = await server.app.inject(
      twilioRequest(statusPath(c.id), statusParams(newMessageSid(), 'sent'), c.authToken),
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(await countEvents(server.sql, c.id)).toBe(1);
  });

  it('one changed byte in the body is refused with 403 and nothing is stored', async () => {
    const c = await seeded();
    const request = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
    request.payload = String(request.payload).replace('Ada', 'Adb');
    const res = await server.app.inject(request);
    expect(res.statusCode).toBe(403);
    expect(await countEvents(server.sql, c.id)).toBe(0);
  });

  it('a missing X-Twilio-Signature is refused with 400 and nothing is stored', async () => {
    const c = await seeded();
    const request = twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken);
    const headers = { ...(request.headers as Record<string, string>) };
    delete headers['x-twilio-signature'];
    const res = await server.app.inject({ ...request, headers });
    expect(res.statusCode).toBe(400);
    expect(await countEvents(server.sql, c.id)).toBe(0);
  });

  it("a wrong token, or another connection's token, is refused with 403", async () => {
    const c = await seeded();
    const other = await seeded();
    for (const token of ['0'.repeat(32), other.authToken]) {
      const res = await server.app.inject(
        twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), token),
      );
      expect(res.statusCode).toBe(403);
    }
    // The other connection's own, correctly signed request is not accepted on our URL either.
    const res = await server.app.inject(
      twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), other.authToken, {
        signedUrl: `${WEBHOOK_PUBLIC_URL.origin}${inboundPath(other.id)}`,
      }),
    );
    expect(res.statusCode).toBe(403);
    expect(await countEvents(server.sql, c.id)).toBe(0);
    expect(await countEvents(server.sql, other.id)).toBe(0);
  });

  it('a signature over another host, scheme or port is refused with 403', async () => {
    const c = await seeded();
    const path = inboundPath(c.id);
    for (const signedUrl of [
      `https://evil.example.com${path}`,
      `http://hooks.example.com${path}`,
      `https://hooks.example.com:8443${path}`,
      `https://hooks.example.com/prefix${path}`,
    ]) {
      const res = await server.app.inject(
        twilioRequest(path, inboundParams(newMessageSid()), c.authToken, { signedUrl }),
      );
      expect(res.statusCode, signedUrl).toBe(403);
    }
    expect(await countEvents(server.sql, c.id)).toBe(0);
  });

  it("the scheme's default port may be in the signed URL or not (Twilio signs either)", async () => {
    const c = await seeded();
    const path = inboundPath(c.id);
    const res = await server.app.inject(
      twilioRequest(path, inboundParams(newMessageSid()), c.authToken, {
        signedUrl: `https://hooks.example.com:443${path}`,
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(await countEvents(server.sql, c.id)).toBe(1);
  });

  it('the query string is part of the signed URL: kept it validates, dropped or changed it does not', async () => {
    const c = await seeded();
    const path = `${statusPath(c.id)}?attempt=1&tag=a%20b`;
    const signedOver = (url: string) =>
      server.app.inject(
        twilioRequest(path, statusParams(newMessageSid(), 'sent'), c.authToken, { signedUrl: url }),
      );
    expect((await signedOver(`${WEBHOOK_PUBLIC_URL.origin}${path}`)).statusCode).toBe(200);
    expect((await signedOver(`${WEBHOOK_PUBLIC_URL.origin}${statusPath(c.id)}`)).statusCode).toBe(403);
    expect(
      (await signedOver(`${WEBHOOK_PUBLIC_URL.origin}${statusPath(c.id)}?attempt=2&tag=a%20b`)).statusCode,
    ).toBe(403);
    expect(await countEvents(server.sql, c.id)).toBe(1);
  });

  it('the stored event keeps the verified params and the SHA-256 of the raw body', async () => {
    const c = await seeded();
    const sid = newMessageSid();
    const request = twilioRequest(statusPath(c.id), statusParams(sid, 'delivered'), c.authToken);
    expect((await server.app.inject(request)).statusCode).toBe(200);
    const [event] = await server.sql<
      {
        payload: Record<string, string>;
        payload_hash: string;
        idempotency_key: string;
        event_type: string;
        message_status: string;
      }[]
    >`select payload, payload_hash, idempotency_key, event_type, message_status
      from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
    const { createHash } = await import('node:crypto');
    expect(event).toMatchObject({
      payload: statusParams(sid, 'delivered'),
      payload_hash: createHash('sha256').update(String(request.payload)).digest('hex'),
      idempotency_key: `status:${sid}:delivered`,
      event_type: 'status',
      message_status: 'delivered',
    });
  });
});
