import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const CUSTOMER = 'whatsapp:+15557770002';
let running: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let account: { sid: string; authToken: string };
let path: string;

const basic = (sid: string, token: string) => `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;

beforeAll(async () => {
  running = await startTwilioSimulator({ statusDelayMs: 1, retry: { attempts: 3, backoffMs: 5 } });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await running?.close();
  await receiver?.close();
});

let counter = 0;
beforeEach(() => {
  running.sim.configure({
    autoAdvance: true,
    shuffleStatusCallbacks: false,
    duplicateStatusCallbacks: 0,
    retryPolicy: 'twilio',
  });
  receiver.answerWith(() => 200);
  account = running.sim.seedAccount();
  counter += 1;
  path = `/hooks/${counter}`;
});

async function sendThroughRest(from: string, to: string, statusCallback: string) {
  const response = await fetch(`${running.url}/2010-04-01/Accounts/${account.sid}/Messages.json`, {
    method: 'POST',
    headers: {
      authorization: basic(account.sid, account.authToken),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      From: from,
      To: to,
      Body: 'hello',
      StatusCallback: statusCallback,
    }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('inbound messages', () => {
  it("are posted to the number's SmsUrl with Twilio's WhatsApp parameters, signed", async () => {
    const number = running.sim.addIncomingNumber(account.sid, '+15550005001');
    number.smsUrl = `${receiver.baseUrl}${path}?tenant=1`;
    const result = await running.sim.deliverInbound({
      to: '+15550005001',
      from: CUSTOMER,
      body: 'Hi there',
      profileName: 'Ada',
    });

    const [hook] = receiver.on(`${path}?tenant=1`);
    expect(hook?.params).toEqual({
      SmsMessageSid: result.messageSid,
      NumMedia: '0',
      ProfileName: 'Ada',
      MessageType: 'text',
      SmsSid: result.messageSid,
      WaId: '15557770002',
      SmsStatus: 'received',
      Body: 'Hi there',
      To: 'whatsapp:+15550005001',
      NumSegments: '1',
      ReferralNumMedia: '0',
      MessageSid: result.messageSid,
      AccountSid: account.sid,
      From: CUSTOMER,
      ApiVersion: '2010-04-01',
    });
    expect(hook?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const signature = String(hook?.headers['x-twilio-signature']);
    expect(twilio.validateRequest(account.authToken, signature, hook!.url, hook!.params)).toBe(true);
    expect(twilio.validateRequest('0'.repeat(32), signature, hook!.url, hook!.params)).toBe(false);
  });

  it("go to a Senders API sender's callback_url, with media, location and button parameters", async () => {
    const sender = running.sim.addWhatsappSender(account.sid, '+15550005002');
    sender.webhook.callback_url = `${receiver.baseUrl}${path}`;
    await running.sim.deliverInbound({
      to: 'whatsapp:+15550005002',
      from: CUSTOMER,
      media: [
        { url: 'https://media.example/1.jpg', contentType: 'image/jpeg' },
        { url: 'https://media.example/2.pdf', contentType: 'application/pdf' },
      ],
      location: { latitude: 52.52, longitude: 13.405, address: 'Alexanderplatz', label: 'Meet here' },
      buttonPayload: 'confirm',
      buttonText: 'Confirm',
    });
    expect(receiver.on(path)[0]?.params).toMatchObject({
      NumMedia: '2',
      MediaUrl0: 'https://media.example/1.jpg',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://media.example/2.pdf',
      MediaContentType1: 'application/pdf',
      Latitude: '52.52',
      Longitude: '13.405',
      Address: 'Alexanderplatz',
      Label: 'Meet here',
      ButtonPayload: 'confirm',
      ButtonText: 'Confirm',
      Body: '',
    });
  });

  it("with retryPolicy 'all', are retried after a non-2xx answer, keeping the idempotency token", async () => {
    running.sim.configure({ retryPolicy: 'all' });
    running.sim.addIncomingNumber(account.sid, '+15550005003').smsUrl = `${receiver.baseUrl}${path}`;
    receiver.answerWith((_p, attempt) => (attempt < 3 ? 503 : 200));
    const result = await running.sim.deliverInbound({ to: '+15550005003', from: CUSTOMER, body: 'again?' });
    expect(result.deliveries[0]?.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(result.deliveries[0]?.outcome).toBe('delivered');
    const hooks = receiver.on(path);
    expect(hooks).toHaveLength(3);
    expect(new Set(hooks.map((h) => h.headers['i-twilio-idempotency-token'])).size).toBe(1);
  });

  it("with retryPolicy 'all', give up after the configured attempts, also when nobody listens", async () => {
    running.sim.configure({ retryPolicy: 'all' });
    running.sim.addIncomingNumber(account.sid, '+15550005004').smsUrl = 'http://127.0.0.1:1/closed';
    const result = await running.sim.deliverInbound({ to: '+15550005004', from: CUSTOMER, body: 'anyone?' });
    expect(result.deliveries[0]?.outcome).toBe('failed');
    expect(result.deliveries[0]?.attempts).toHaveLength(3);
    expect(result.deliveries[0]?.attempts.every((a) => a.error !== undefined)).toBe(true);
  });

  it('can be duplicated: same MessageSid, same signature, n extra times', async () => {
    running.sim.addIncomingNumber(account.sid, '+15550005005').smsUrl = `${receiver.baseUrl}${path}`;
    const result = await running.sim.deliverInbound({
      to: '+15550005005',
      from: CUSTOMER,
      body: 'dup',
      duplicates: 2,
    });
    const hooks = receiver.on(path);
    expect(hooks).toHaveLength(3);
    expect(new Set(hooks.map((h) => h.params.MessageSid))).toEqual(new Set([result.messageSid]));
    expect(new Set(hooks.map((h) => h.headers['x-twilio-signature'])).size).toBe(1);
  });

  it('to the sandbox go to the console-configured URL; "join <keyword>" is consumed', async () => {
    running.sim.setSandboxWebhook(account.sid, `${receiver.baseUrl}${path}`);
    const join = await running.sim.deliverInbound({
      accountSid: account.sid,
      to: '+14155238886',
      from: CUSTOMER,
      body: 'join simulated-sandbox',
    });
    expect(join).toMatchObject({ joinedSandbox: true, deliveries: [] });
    await running.sim.deliverInbound({
      accountSid: account.sid,
      to: '+14155238886',
      from: CUSTOMER,
      body: 'hello sandbox',
    });
    expect(receiver.on(path).map((h) => h.params.Body)).toEqual(['hello sandbox']);
  });
});

describe('outbound message lifecycle', () => {
  it("answers 201 with the description's message shape, status queued", async () => {
    running.sim.addWhatsappSender(account.sid, '+15550006001');
    running.sim.openConversation(account.sid, '+15550006001', CUSTOMER);
    const { status, body } = await sendThroughRest(
      'whatsapp:+15550006001',
      CUSTOMER,
      `${receiver.baseUrl}${path}`,
    );
    expect(status).toBe(201);
    expect(body).toMatchObject({
      status: 'queued',
      direction: 'outbound-api',
      error_code: null,
      num_media: '0',
      api_version: '2010-04-01',
    });
    expect(String(body.sid)).toMatch(/^SM[0-9a-f]{32}$/);
    await running.sim.waitForIdle();
    expect(running.sim.message(String(body.sid))?.statusHistory).toEqual([
      'queued',
      'sent',
      'delivered',
      'read',
    ]);
  });

  it("falls back to the sender's status_callback_url when the message has none", async () => {
    const sender = running.sim.addWhatsappSender(account.sid, '+15550006002');
    sender.webhook.status_callback_url = `${receiver.baseUrl}${path}`;
    running.sim.openConversation(account.sid, '+15550006002', CUSTOMER);
    const message = running.sim.createOutboundMessage({
      accountSid: account.sid,
      from: 'whatsapp:+15550006002',
      to: CUSTOMER,
      body: 'x',
      mediaUrls: [],
      statusCallback: null,
      contentSid: null,
    });
    await running.sim.waitForIdle();
    expect(receiver.on(path).map((h) => h.params.MessageSid)).toEqual(Array(4).fill(message.sid));
  });

  it("a 'fail' recipient gets failed with 30008; a 'no_read' one stops at delivered", async () => {
    running.sim.addWhatsappSender(account.sid, '+15550006003');
    running.sim.openConversation(account.sid, '+15550006003', CUSTOMER);
    running.sim.openConversation(account.sid, '+15550006003', 'whatsapp:+15557770003');
    running.sim.setRecipientBehaviour(account.sid, CUSTOMER, 'fail');
    running.sim.setRecipientBehaviour(account.sid, 'whatsapp:+15557770003', 'no_read');
    const failed = await sendThroughRest('whatsapp:+15550006003', CUSTOMER, `${receiver.baseUrl}${path}`);
    const unread = await sendThroughRest(
      'whatsapp:+15550006003',
      'whatsapp:+15557770003',
      `${receiver.baseUrl}${path}/2`,
    );
    await running.sim.waitForIdle();
    expect(receiver.on(path).at(-1)?.params).toMatchObject({
      MessageStatus: 'failed',
      ErrorCode: '30008',
      ErrorMessage: 'Unknown error',
    });
    expect(running.sim.message(String(failed.body.sid))?.errorCode).toBe(30008);
    expect(receiver.on(`${path}/2`).map((h) => h.params.MessageStatus)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
    expect(running.sim.message(String(unread.body.sid))?.status).toBe('delivered');
  });

  it('can shuffle and duplicate status callbacks', async () => {
    running.sim.configure({ shuffleStatusCallbacks: true, duplicateStatusCallbacks: 1 });
    running.sim.addWhatsappSender(account.sid, '+15550006004');
    running.sim.openConversation(account.sid, '+15550006004', CUSTOMER);
    await sendThroughRest('whatsapp:+15550006004', CUSTOMER, `${receiver.baseUrl}${path}`);
    await running.sim.waitForIdle();
    const statuses = receiver.on(path).map((h) => h.params.MessageStatus);
    expect(statuses).toHaveLength(8);
    expect([...statuses].sort()).toEqual([
      'delivered',
      'delivered',
      'queued',
      'queued',
      'read',
      'read',
      'sent',
      'sent',
    ]);
  });

  it('moves step by step with autoAdvance off', async () => {
    running.sim.configure({ autoAdvance: false });
    running.sim.addWhatsappSender(account.sid, '+15550006005');
    const { body } = await sendThroughRest('whatsapp:+15550006005', CUSTOMER, `${receiver.baseUrl}${path}`);
    await running.sim.waitForIdle();
    expect(receiver.on(path)).toHaveLength(0);
    await running.sim.advanceStatus(String(body.sid), 'sent');
    await running.sim.advanceStatus(String(body.sid), 'undelivered', 30003);
    expect(receiver.on(path).map((h) => [h.params.MessageStatus, h.params.ErrorCode])).toEqual([
      ['sent', undefined],
      ['undelivered', '30003'],
    ]);
  });
});

describe("Twilio's REST answers", () => {
  it('wrong credentials get 401 with the Authenticate body', async () => {
    const response = await fetch(`${running.url}/2010-04-01/Accounts/${account.sid}.json`, {
      headers: { authorization: basic(account.sid, 'nope') },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it('unknown resources get 404 20404', async () => {
    const response = await fetch(
      `${running.url}/2010-04-01/Accounts/${account.sid}/Messages/SM${'0'.repeat(32)}.json`,
      {
        headers: { authorization: basic(account.sid, account.authToken) },
      },
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
  });

  it('an invalid To gets 400 21211 and no message is created', async () => {
    running.sim.addWhatsappSender(account.sid, '+15550007001');
    const { status, body } = await sendThroughRest(
      'whatsapp:+15550007001',
      'whatsapp:+0',
      `${receiver.baseUrl}${path}`,
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 21211, status: 400 });
    expect(running.sim.messages(account.sid)).toHaveLength(0);
  });

  it('a WhatsApp From that is a phone number of the account but no WhatsApp sender gets 400 63007', async () => {
    running.sim.addIncomingNumber(account.sid, '+15550007002');
    running.sim.addWhatsappSender(running.sim.seedAccount().sid, '+15550007003');
    for (const from of ['whatsapp:+15550007002', 'whatsapp:+15550007003', 'whatsapp:+15550007998']) {
      const { status, body } = await sendThroughRest(from, CUSTOMER, `${receiver.baseUrl}${path}`);
      expect(status).toBe(400);
      expect(body).toEqual({
        code: 63007,
        message: 'Twilio could not find a Channel with the specified From address',
        more_info: 'https://www.twilio.com/docs/errors/63007',
        status: 400,
      });
    }
    expect(running.sim.messages(account.sid)).toHaveLength(0);
    expect(running.sim.ownsSender(account.sid, '+15550007002')).toBe(true);
  });

  it('the sandbox number is a WhatsApp sender of every account', async () => {
    for (const sid of [account.sid, running.sim.seedAccount().sid]) {
      expect(running.sim.ownsSender(sid, 'whatsapp:+14155238886')).toBe(true);
    }
    const { status } = await sendThroughRest('whatsapp:+14155238886', CUSTOMER, `${receiver.baseUrl}${path}`);
    expect(status).toBe(201);
  });

  it("a From that is not the account's number gets 21606", async () => {
    const { status, body } = await sendThroughRest(
      '+15550007999',
      '+15557770002',
      `${receiver.baseUrl}${path}`,
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 21606 });
  });
});

describe('seeding', () => {
  it('seeding a known SID again rotates its token and keeps its numbers', async () => {
    const number = running.sim.addIncomingNumber(account.sid, '+15550009001');
    const rotated = running.sim.seedAccount({ sid: account.sid, authToken: 'c'.repeat(32) });
    expect(rotated).toEqual({ sid: account.sid, authToken: 'c'.repeat(32) });
    expect(running.sim.incomingNumbers.get(number.sid)?.accountSid).toBe(account.sid);
    const old = await fetch(`${running.url}/2010-04-01/Accounts/${account.sid}.json`, {
      headers: { authorization: basic(account.sid, account.authToken) },
    });
    expect(old.status).toBe(401);
  });
});

describe('the control API', () => {
  it('seeds, plays the customer and reads state over HTTP', async () => {
    const control = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`${running.url}/_simulator${route}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
    };
    const seeded = await control('POST', '/accounts', { friendlyName: 'Over HTTP' });
    expect(seeded.status).toBe(201);
    const sid = (seeded.body as { sid: string }).sid;
    expect((await control('POST', `/accounts/${sid}/senders`, { phoneNumber: '+15550008001' })).status).toBe(
      201,
    );
    expect(
      (await control('POST', `/accounts/${sid}/incoming-numbers`, { phoneNumber: '+15550008002' })).status,
    ).toBe(201);
    const state = await control('GET', `/accounts/${sid}`);
    expect(state.body).toMatchObject({
      friendlyName: 'Over HTTP',
      senders: [{ senderId: 'whatsapp:+15550008001' }],
    });
    expect(JSON.stringify(state.body)).not.toContain((seeded.body as { authToken: string }).authToken);

    running.sim.senders.forEach((s) => {
      if (s.senderId === 'whatsapp:+15550008001') s.webhook.callback_url = `${receiver.baseUrl}${path}`;
    });
    const inbound = await control('POST', '/inbound', {
      to: '+15550008001',
      from: CUSTOMER,
      body: 'via control API',
    });
    expect(inbound.status).toBe(200);
    expect(receiver.on(path)[0]?.params.Body).toBe('via control API');
    const messages = await control('GET', `/messages?accountSid=${sid}`);
    expect(messages.body).toMatchObject([
      { direction: 'inbound', body: 'via control API', status: 'received' },
    ]);
    expect((await control('POST', '/wait-for-idle')).status).toBe(204);
    expect((await control('POST', '/accounts/AC123/senders', { phoneNumber: '+1' })).status).toBe(400);
  });
});
