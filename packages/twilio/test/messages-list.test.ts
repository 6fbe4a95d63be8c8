import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseUrlRequestClient } from '../src/adapter/base-url-request-client.ts';
import type { RunningTwilioSimulator, SimMessage } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const SENDER = '+15550007001';
const CUSTOMER = 'whatsapp:+15557770101';
const OTHER = 'whatsapp:+15557770102';
let running: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let account: { sid: string; authToken: string };
let client: ReturnType<typeof twilio>;
const at = (iso: string) => new Date(iso);

/** Sets when a message was created and sent, as if it had happened then. */
function dated(message: SimMessage | undefined, iso: string): SimMessage {
  if (!message) throw new Error('no message');
  message.dateCreated = at(iso);
  message.dateSent = at(iso);
  return message;
}

const sent: Record<string, SimMessage> = {};

beforeAll(async () => {
  running = await startTwilioSimulator({ statusDelayMs: 1 });
  receiver = await startWebhookReceiver();
  account = running.sim.seedAccount();
  const sender = running.sim.addWhatsappSender(account.sid, SENDER);
  sender.webhook.callback_url = `${receiver.baseUrl}/inbound`;
  client = twilio(account.sid, account.authToken, {
    env: {},
    httpClient: new BaseUrlRequestClient({ apiBaseUrl: running.url, timeoutMs: 2_000 }),
  });
  for (const [name, from, day] of [
    ['in1', CUSTOMER, '2026-11-01T09:00:00Z'],
    ['in2', CUSTOMER, '2026-11-02T09:00:00Z'],
    ['other', OTHER, '2026-11-02T10:00:00Z'],
    ['in3', CUSTOMER, '2026-11-03T09:00:00Z'],
  ] as const) {
    const media = name === 'in3' ? [{ url: 'https://media.example/a.jpg', contentType: 'image/jpeg' }] : [];
    const result = await running.sim.deliverInbound({ to: SENDER, from, body: name, media });
    sent[name] = dated(running.sim.message(result.messageSid), day);
  }
  for (const [name, day] of [
    ['out1', '2026-11-02T12:00:00Z'],
    ['out2', '2026-11-04T12:00:00Z'],
  ] as const) {
    const message = running.sim.createOutboundMessage({
      accountSid: account.sid,
      from: `whatsapp:${SENDER}`,
      to: CUSTOMER,
      body: name,
      mediaUrls: [],
      statusCallback: null,
      contentSid: null,
    });
    await running.sim.waitForIdle();
    sent[name] = dated(message, day);
  }
});
afterAll(async () => {
  await running?.close();
  await receiver?.close();
});

const sidsOf = (...names: string[]) => names.map((n) => sent[n]?.sid);

describe('the Messages list', () => {
  it("is read to the end through next_page_uri by the twilio package's own client, newest first", async () => {
    const before = running.sim.apiRequests().filter((r) => r.operationId === 'ListMessage').length;
    const fromCustomer = await client.messages.list({ from: CUSTOMER, pageSize: 1 });
    expect(fromCustomer.map((m) => m.sid)).toEqual(sidsOf('in3', 'in2', 'in1'));
    const requests = running.sim.apiRequests().filter((r) => r.operationId === 'ListMessage').length;
    expect(requests - before).toBe(3);
    expect(fromCustomer.map((m) => m.direction)).toEqual(['inbound', 'inbound', 'inbound']);
    expect(fromCustomer[0]).toMatchObject({
      numMedia: '1',
      dateSent: at('2026-11-03T09:00:00Z'),
      body: 'in3',
    });
  });

  it('filters by To and DateSent> (on and after)', async () => {
    const toCustomer = await client.messages.list({
      to: CUSTOMER,
      dateSentAfter: at('2026-11-02T00:00:00Z'),
      pageSize: 1,
    });
    expect(toCustomer.map((m) => m.sid)).toEqual(sidsOf('out2', 'out1'));
    expect(toCustomer[0]).toMatchObject({
      direction: 'outbound-api',
      status: 'read',
      from: `whatsapp:${SENDER}`,
    });
  });

  it('filters by DateSent< (on and before) and by the day of DateSent', async () => {
    const early = await client.messages.list({ dateSentBefore: at('2026-11-02T09:00:00Z') });
    expect(early.map((m) => m.sid)).toEqual(sidsOf('in2', 'in1'));
    const onTheSecond = await client.messages.list({ dateSent: at('2026-11-02T00:00:00Z') });
    expect(onTheSecond.map((m) => m.sid)).toEqual(sidsOf('out1', 'other', 'in2'));
  });

  it("answers in Twilio's paging envelope", async () => {
    const base = `/2010-04-01/Accounts/${account.sid}/Messages.json`;
    const response = await fetch(`${running.url}${base}?From=${encodeURIComponent(CUSTOMER)}&PageSize=2`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
      },
    });
    const page = (await response.json()) as Record<string, unknown>;
    expect(page).toMatchObject({
      page: 0,
      page_size: 2,
      start: 0,
      end: 1,
      previous_page_uri: null,
      first_page_uri: `${base}?From=${encodeURIComponent(CUSTOMER)}&PageSize=2&Page=0`,
      uri: `${base}?From=${encodeURIComponent(CUSTOMER)}&PageSize=2&Page=0`,
      next_page_uri: `${base}?From=${encodeURIComponent(CUSTOMER)}&PageSize=2&Page=1&PageToken=PA${sent.in2?.sid}`,
    });
    expect((page.messages as { sid: string }[]).map((m) => m.sid)).toEqual(sidsOf('in3', 'in2'));
    const next = await fetch(`${running.url}${String(page.next_page_uri)}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
      },
    });
    const second = (await next.json()) as Record<string, unknown>;
    expect(second).toMatchObject({ page: 1, start: 2, end: 2, next_page_uri: null });
    expect((second.messages as { sid: string }[]).map((m) => m.sid)).toEqual(sidsOf('in1'));
  });
});

describe('the Media list', () => {
  it("lists an inbound message's media with their content types", async () => {
    const media = await client.messages(String(sent.in3?.sid)).media.list();
    expect(media).toHaveLength(1);
    expect(media[0]).toMatchObject({
      contentType: 'image/jpeg',
      parentSid: sent.in3?.sid,
      accountSid: account.sid,
    });
    expect(media[0]?.sid).toMatch(/^ME[0-9a-f]{32}$/);
    expect(media[0]?.uri).toBe(
      `/2010-04-01/Accounts/${account.sid}/Messages/${sent.in3?.sid}/Media/${media[0]?.sid}.json`,
    );
    expect(await client.messages(String(sent.in1?.sid)).media.list()).toEqual([]);
  });
});

it('every request and every answer conformed to the OpenAPI description', () => {
  expect(running.sim.oaiViolations()).toEqual([]);
});
