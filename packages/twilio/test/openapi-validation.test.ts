import twilio from 'twilio';
import type { MessagingV2ChannelsSenderRequestsUpdate } from 'twilio/lib/rest/messaging/v2/channelsSender.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator, TwilioOpenApi } from '../src/simulator/index.ts';

const oai = TwilioOpenApi.load();
const AC = `AC${'a'.repeat(32)}`;
const form = 'application/x-www-form-urlencoded';

describe("the simulator's check against Twilio's OpenAPI description", () => {
  it('routes a concrete path to its own operation, not to a templated one that also matches', () => {
    const base = `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers`;
    expect(oai.match('GET', `${base}/Local.json`)?.operationId).toBe('ListIncomingPhoneNumberLocal');
    expect(oai.match('POST', `${base}/Mobile.json`)?.operationId).toBe('CreateIncomingPhoneNumberMobile');
    expect(oai.match('GET', `${base}/PN${'1'.repeat(32)}.json`)).toEqual({
      operationId: 'FetchIncomingPhoneNumber',
      pathParams: { AccountSid: AC, Sid: `PN${'1'.repeat(32)}` },
    });
  });

  it('accepts a request that follows the description', () => {
    expect(
      oai.validateRequest({
        method: 'POST',
        path: `/2010-04-01/Accounts/${AC}/Messages.json`,
        query: {},
        contentType: form,
        body: {
          To: 'whatsapp:+15550001111',
          From: 'whatsapp:+15550002222',
          Body: 'hi',
          MediaUrl: ['https://x.example/a.png', 'https://x.example/b.png'],
        },
      }),
    ).toEqual([]);
  });

  it('catches unknown, missing, mistyped and out-of-enum parameters', () => {
    expect(
      oai.validateRequest({
        method: 'POST',
        path: `/2010-04-01/Accounts/${AC}/Messages.json`,
        query: {},
        contentType: form,
        body: {
          From: 'whatsapp:+15550002222',
          Body: 'hi',
          MessageIntent: 'x',
          ContentRetention: 'forever',
          Attempt: 'two',
        },
      }),
    ).toEqual([
      'form parameter MessageIntent is not defined',
      'form parameter ContentRetention must be one of retain, discard, got forever',
      'form parameter Attempt must be an integer, got two',
      'form parameter To is required',
    ]);
    expect(
      oai.validateRequest({
        method: 'POST',
        path: `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers/PN123.json`,
        query: {},
        contentType: form,
        body: { SmsMethod: 'PATCH', SmsUrl: 'not a url' },
      }),
    ).toEqual([
      'path parameter Sid is shorter than 34',
      'path parameter Sid does not match ^PN[0-9a-fA-F]{32}$',
      'form parameter SmsMethod must be one of GET, POST, got PATCH',
      'form parameter SmsUrl must be a URI, got not a url',
    ]);
    expect(
      oai.validateRequest({
        method: 'GET',
        path: '/v2/Channels/Senders',
        query: { PageSize: '0' },
        contentType: undefined,
        body: undefined,
      }),
    ).toEqual(['query parameter PageSize is below 1', 'query parameter Channel is required']);
    expect(
      oai.validateRequest({
        method: 'PUT',
        path: `/2010-04-01/Accounts/${AC}.json`,
        query: {},
        contentType: undefined,
        body: undefined,
      }),
    ).toEqual([`PUT /2010-04-01/Accounts/${AC}.json is not an operation in Twilio's OpenAPI description`]);
  });

  it("catches the twilio package's camelCase sender webhook (its types are not the wire format)", () => {
    expect(
      oai.validateRequest({
        method: 'POST',
        path: `/v2/Channels/Senders/XE${'b'.repeat(32)}`,
        query: {},
        contentType: 'application/json',
        body: { webhook: { callbackUrl: 'https://a.example/in', callback_method: 'GET' } },
      }),
    ).toEqual([
      'body.webhook.callbackUrl is not defined',
      'body.webhook.callback_method must be one of POST, PUT',
    ]);
  });

  it('checks answers too: undescribed or missing fields are reported', () => {
    expect(oai.validateResponse('FetchAccount', 200, { sid: AC, status: 'frozen', extra: 1 })).toEqual(
      expect.arrayContaining([
        'response.status must be one of active, suspended, closed',
        'response.extra is not defined',
        'response.friendly_name is missing',
      ]),
    );
  });
});

describe('requests that break the description, over HTTP', () => {
  let running: RunningTwilioSimulator;
  let account: { sid: string; authToken: string };
  const auth = () => `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`;

  beforeAll(async () => {
    running = await startTwilioSimulator();
    account = running.sim.seedAccount();
  });
  afterAll(() => running?.close());

  it('are answered 400 with a Twilio error body and recorded as violations', async () => {
    const number = running.sim.addIncomingNumber(account.sid, '+15550004001');
    const response = await fetch(
      `${running.url}/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers/${number.sid}.json`,
      {
        method: 'POST',
        headers: { authorization: auth(), 'content-type': form },
        body: 'SmsUrl=https%3A%2F%2Fa.example%2Fin&SmsMethod=PATCH&Bogus=1',
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 20001,
      status: 400,
      more_info: 'https://www.twilio.com/docs/errors/20001',
    });
    expect(running.sim.incomingNumbers.get(number.sid)?.smsUrl).toBeNull();
    expect(running.sim.oaiViolations()).toEqual([
      {
        method: 'POST',
        path: `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers/${number.sid}.json`,
        operationId: 'UpdateIncomingPhoneNumber',
        problems: [
          'form parameter SmsMethod must be one of GET, POST, got PATCH',
          'form parameter Bogus is not defined',
        ],
      },
    ]);
  });

  it("the twilio package used as its types suggest sends a sender webhook Twilio's description does not know", async () => {
    running.sim.clearOaiViolations();
    const sender = running.sim.addWhatsappSender(account.sid, '+15550004002');
    const client = twilio(account.sid, account.authToken, {
      env: {},
      httpClient: new (await import('../src/adapter/base-url-request-client.ts')).BaseUrlRequestClient({
        apiBaseUrl: running.url,
        timeoutMs: 2_000,
      }),
    });
    const camelCase = {
      webhook: { callbackUrl: 'https://a.example/in' },
    } as MessagingV2ChannelsSenderRequestsUpdate;
    await expect(client.messaging.v2.channelsSenders(sender.sid).update(camelCase)).rejects.toMatchObject({
      status: 400,
    });
    expect(running.sim.oaiViolations().map((v) => v.problems)).toEqual([
      ['body.webhook.callbackUrl is not defined'],
    ]);
  });
});
