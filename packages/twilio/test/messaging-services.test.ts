import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BaseUrlRequestClient } from '../src/adapter/base-url-request-client.ts';
import type { RunningTwilioSimulator, SimService } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const CUSTOMER = 'whatsapp:+15557772001';
let running: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let account: { sid: string; authToken: string };
let client: ReturnType<typeof twilio>;
let counter = 0;
let numbers: [string, string];
let service: SimService;

beforeAll(async () => {
  running = await startTwilioSimulator({ statusDelayMs: 1 });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await running?.close();
  await receiver?.close();
});
beforeEach(() => {
  account = running.sim.seedAccount();
  client = twilio(account.sid, account.authToken, {
    env: {},
    httpClient: new BaseUrlRequestClient({ apiBaseUrl: running.url, timeoutMs: 5_000 }),
  });
  counter += 1;
  numbers = [`+1555002${String(counter).padStart(4, '0')}`, `+1555003${String(counter).padStart(4, '0')}`];
  service = running.sim.addMessagingService(account.sid, { friendlyName: 'Support pool', senders: numbers });
  running.sim.clearOaiViolations();
});

const hook = (name: string) => `${receiver.baseUrl}/svc/${counter}/${name}`;

async function control(method: string, route: string, body?: unknown) {
  const response = await fetch(`${running.url}/_simulator${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

describe('Messaging v1 Services through the twilio package', () => {
  it('fetches, updates and lists a service, its WhatsApp senders and its phone numbers', async () => {
    const fetched = await client.messaging.v1.services(service.sid).fetch();
    expect(fetched).toMatchObject({
      sid: service.sid,
      accountSid: account.sid,
      friendlyName: 'Support pool',
      inboundRequestUrl: null,
      statusCallback: null,
      useInboundWebhookOnNumber: false,
    });

    const updated = await client.messaging.v1.services(service.sid).update({
      inboundRequestUrl: hook('inbound'),
      inboundMethod: 'POST',
      statusCallback: hook('status'),
      useInboundWebhookOnNumber: true,
      stickySender: false,
    });
    expect(updated).toMatchObject({
      inboundRequestUrl: hook('inbound'),
      statusCallback: hook('status'),
      useInboundWebhookOnNumber: true,
      stickySender: false,
    });
    expect(running.sim.services.get(service.sid)).toMatchObject({ useInboundWebhookOnNumber: true });

    const senders = await client.messaging.v1.services(service.sid).channelSenders.list();
    expect(senders.map((s) => [s.sender, s.senderType, s.messagingServiceSid])).toEqual([
      [`whatsapp:${numbers[0]}`, 'WhatsApp', service.sid],
      [`whatsapp:${numbers[1]}`, 'WhatsApp', service.sid],
    ]);
    const one = await client.messaging.v1.services(service.sid).channelSenders(senders[1]!.sid).fetch();
    expect(one.sender).toBe(`whatsapp:${numbers[1]}`);

    const number = running.sim.addIncomingNumber(account.sid, `+1555004${String(counter).padStart(4, '0')}`);
    running.sim.messagingServices.addPhoneNumber(service.sid, number.sid);
    const phoneNumbers = await client.messaging.v1.services(service.sid).phoneNumbers.list();
    expect(phoneNumbers.map((n) => [n.sid, n.phoneNumber])).toEqual([[number.sid, number.phoneNumber]]);

    const created = await client.messaging.v1.services.create({ friendlyName: 'Second' });
    expect(created.sid).toMatch(/^MG[0-9a-f]{32}$/);
    const listed = await client.messaging.v1.services.list();
    expect(listed.map((s) => s.sid)).toEqual([service.sid, created.sid]);
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it("answers 404 for another account's service", async () => {
    const other = running.sim.addMessagingService(running.sim.seedAccount().sid);
    await expect(client.messaging.v1.services(other.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });
});

describe('sending with MessagingServiceSid', () => {
  it("picks the service's sender the customer wrote to, and reports to the service's StatusCallback", async () => {
    running.sim.messagingServices.services.get(service.sid)!.statusCallback = hook('status');
    running.sim.openConversation(account.sid, numbers[1], CUSTOMER);
    const message = await client.messages.create({
      messagingServiceSid: service.sid,
      to: CUSTOMER,
      body: 'Hello from the pool',
    });
    expect(message).toMatchObject({
      status: 'accepted',
      messagingServiceSid: service.sid,
      from: `whatsapp:${numbers[1]}`,
    });
    await running.sim.waitForIdle();
    const callbacks = receiver.received.filter((r) => r.url === hook('status'));
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered', 'read']);
    expect(callbacks[0]?.params).toMatchObject({
      MessagingServiceSid: service.sid,
      From: `whatsapp:${numbers[1]}`,
      MessageSid: message.sid,
    });
    expect(
      twilio.validateRequest(
        account.authToken,
        String(callbacks[0]?.headers['x-twilio-signature']),
        hook('status'),
        callbacks[0]!.params,
      ),
    ).toBe(true);
    expect(running.sim.message(message.sid)?.statusHistory).toEqual([
      'accepted',
      'queued',
      'sent',
      'delivered',
      'read',
    ]);
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it("a StatusCallback in the request wins over the service's", async () => {
    running.sim.messagingServices.services.get(service.sid)!.statusCallback = hook('service-status');
    running.sim.openConversation(account.sid, numbers[0], CUSTOMER);
    await client.messages.create({
      messagingServiceSid: service.sid,
      to: CUSTOMER,
      body: 'x',
      statusCallback: hook('own-status'),
    });
    await running.sim.waitForIdle();
    expect(receiver.received.filter((r) => r.url === hook('own-status'))).toHaveLength(4);
    expect(receiver.received.filter((r) => r.url === hook('service-status'))).toHaveLength(0);
  });

  it('an unknown service is refused with 21701, a service without WhatsApp senders with 21704', async () => {
    const foreign = running.sim.addMessagingService(running.sim.seedAccount().sid, {
      senders: ['+15550059999'],
    });
    await expect(
      client.messages.create({ messagingServiceSid: foreign.sid, to: CUSTOMER, body: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 21701 });
    const empty = running.sim.addMessagingService(account.sid);
    await expect(
      client.messages.create({ messagingServiceSid: empty.sid, to: CUSTOMER, body: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 21704 });
    expect(running.sim.messages(account.sid)).toHaveLength(0);
  });
});

describe('inbound messages to the senders of a service', () => {
  it("go to the service's InboundRequestUrl, signed, with UseInboundWebhookOnNumber off", async () => {
    const stored = running.sim.services.get(service.sid)!;
    stored.inboundRequestUrl = hook('inbound');
    for (const s of running.sim.senders.values()) {
      if (stored.senderSids.includes(s.sid)) s.webhook.callback_url = hook('sender-own');
    }
    for (const number of numbers) {
      await running.sim.deliverInbound({ to: number, from: CUSTOMER, body: `to ${number}` });
    }
    const received = receiver.received.filter((r) => r.url === hook('inbound'));
    expect(received.map((r) => [r.params.To, r.params.MessagingServiceSid, r.params.Body])).toEqual([
      [`whatsapp:${numbers[0]}`, service.sid, `to ${numbers[0]}`],
      [`whatsapp:${numbers[1]}`, service.sid, `to ${numbers[1]}`],
    ]);
    for (const r of received) {
      const signature = String(r.headers['x-twilio-signature']);
      expect(twilio.validateRequest(account.authToken, signature, r.url, r.params)).toBe(true);
    }
    expect(receiver.received.filter((r) => r.url === hook('sender-own'))).toHaveLength(0);

    stored.useInboundWebhookOnNumber = true;
    await running.sim.deliverInbound({ to: numbers[0], from: CUSTOMER, body: 'own' });
    expect(receiver.received.filter((r) => r.url === hook('sender-own')).map((r) => r.params)).toEqual([
      expect.objectContaining({ Body: 'own', MessagingServiceSid: service.sid }),
    ]);
  });
});

describe('the control API for services', () => {
  it('creates a service with senders, attaches another, and shows services in the account state', async () => {
    const created = await control('POST', `/accounts/${account.sid}/services`, {
      friendlyName: 'Over HTTP',
      inboundRequestUrl: hook('inbound'),
      senders: [`whatsapp:+1555005${String(counter).padStart(4, '0')}`],
    });
    expect(created.status).toBe(201);
    const sid = (created.body as { sid: string }).sid;
    const attached = await control('POST', `/accounts/${account.sid}/services/${sid}/senders`, {
      phoneNumber: `+1555006${String(counter).padStart(4, '0')}`,
    });
    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ sid: expect.stringMatching(/^XE/) });
    const taken = await control('POST', `/accounts/${account.sid}/services/${sid}/senders`, {
      phoneNumber: numbers[0],
    });
    expect(taken.status).toBe(400);
    const state = await control('GET', `/accounts/${account.sid}`);
    const services = (state.body as { services: SimService[] }).services;
    expect(services.map((s) => [s.friendlyName, s.senderSids.length])).toEqual([
      ['Support pool', 2],
      ['Over HTTP', 2],
    ]);
    expect(
      (
        await control('POST', `/accounts/${account.sid}/services/MG${'0'.repeat(32)}/senders`, {
          phoneNumber: numbers[0],
        })
      ).status,
    ).toBe(404);
  });
});
