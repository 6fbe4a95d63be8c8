import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BaseUrlRequestClient } from '../src/adapter/base-url-request-client.ts';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const CUSTOMER = 'whatsapp:+15557771001';
const HOUR = 60 * 60 * 1000;
let running: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let account: { sid: string; authToken: string };
let client: ReturnType<typeof twilio>;
let sender: string;
let counter = 0;

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
  sender = `+1555001${String(counter).padStart(4, '0')}`;
  running.sim.addWhatsappSender(account.sid, sender);
  running.sim.clearOaiViolations();
});

const greeting = {
  friendlyName: 'Order ready',
  language: 'en',
  types: { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready.' } },
  variables: { '1': 'Customer', '2': 'A-0' },
};

async function control(method: string, route: string, body?: unknown) {
  const response = await fetch(`${running.url}/_simulator${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

/** Sends through the REST API as the adapter does; resolves with the message's last status callback. */
async function send(params: Record<string, string>) {
  const path = `/content/${counter}/${Math.random().toString(36).slice(2)}`;
  const message = await client.messages.create({
    from: `whatsapp:${sender}`,
    to: CUSTOMER,
    statusCallback: `${receiver.baseUrl}${path}`,
    ...params,
  });
  await running.sim.waitForIdle();
  return { message, last: receiver.on(path).at(-1)?.params, stored: running.sim.message(message.sid) };
}

describe('the Content API', () => {
  it('lists every template with its WhatsApp approval, paged, through the twilio package', async () => {
    const approved = running.sim.addTemplate(account.sid, greeting);
    const pending = running.sim.addTemplate(account.sid, {
      ...greeting,
      friendlyName: 'Pending',
      approval: 'pending',
    });
    const rejected = running.sim.addTemplate(account.sid, {
      ...greeting,
      friendlyName: 'Rejected one',
      approval: 'rejected',
      rejectionReason: 'PROMOTIONAL: the template looks like marketing',
    });
    const paused = running.sim.addTemplate(account.sid, {
      friendlyName: 'Choose',
      language: 'de',
      types: {
        'twilio/quick-reply': {
          body: 'Hallo {{1}}, passt der Termin?',
          actions: [
            { title: 'Ja', id: 'yes' },
            { title: 'Nein', id: 'no' },
          ],
        },
        'twilio/text': { body: 'Hallo {{1}}, passt der Termin?' },
      },
      variables: { '1': 'Kunde' },
      approval: 'paused',
    });
    running.sim.addTemplate(running.sim.seedAccount().sid, greeting);

    const listed = await client.content.v1.contentAndApprovals.list({ pageSize: 3 });
    expect(listed.map((c) => c.sid)).toEqual([approved.sid, pending.sid, rejected.sid, paused.sid]);
    expect(listed.map((c) => c.approvalRequests.status)).toEqual([
      'approved',
      'pending',
      'rejected',
      'paused',
    ]);
    expect(listed[2]?.approvalRequests).toMatchObject({
      name: 'rejected_one',
      rejection_reason: 'PROMOTIONAL: the template looks like marketing',
      content_type: 'twilio/text',
    });
    expect(listed[3]).toMatchObject({
      language: 'de',
      variables: { '1': 'Kunde' },
      approvalRequests: { content_type: 'twilio/quick-reply', rejection_reason: '' },
    });

    const page = await client.content.v1.contentAndApprovals.page({ pageSize: 3 });
    expect(page.instances).toHaveLength(3);
    const next = await page.nextPage();
    expect(next?.instances.map((c) => c.sid)).toEqual([paused.sid]);

    const fetched = await client.content.v1.contents(rejected.sid).fetch();
    expect(fetched).toMatchObject({ friendlyName: 'Rejected one', types: greeting.types });
    const approval = await client.content.v1.contents(rejected.sid).approvalFetch().fetch();
    expect(approval.whatsapp).toMatchObject({ type: 'whatsapp', status: 'rejected', name: 'rejected_one' });
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it("answers 404 for another account's template", async () => {
    const other = running.sim.addTemplate(running.sim.seedAccount().sid, greeting);
    await expect(client.content.v1.contents(other.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a template whose types break the description or that lacks a sample', () => {
    expect(() =>
      running.sim.addTemplate(account.sid, { ...greeting, types: { 'twilio/text': { text: 'x' } } }),
    ).toThrow(/types/);
    expect(() =>
      running.sim.addTemplate(account.sid, { ...greeting, variables: { '1': 'Customer' } }),
    ).toThrow(/\{\{2\}\}/);
    expect(() =>
      running.sim.addTemplate(account.sid, { ...greeting, types: { 'twilio/location': { body: 'x' } } }),
    ).toThrow(/twilio\/location/);
  });
});

describe('sending a template with ContentSid and ContentVariables', () => {
  it('inside the window: the body is the rendered template, sent as the message', async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER);
    const template = running.sim.addTemplate(account.sid, greeting);
    const { message, last, stored } = await send({
      contentSid: template.sid,
      contentVariables: JSON.stringify({ '1': 'Ada', '2': 'B-42' }),
    });
    expect(message.body).toBe('Hi Ada, your order B-42 is ready.');
    expect(last).toMatchObject({ MessageStatus: 'read' });
    expect(stored).toMatchObject({ contentSid: template.sid, contentVariables: { '1': 'Ada', '2': 'B-42' } });
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it("a variable left out takes its sample value, as Twilio's description says", async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER);
    const template = running.sim.addTemplate(account.sid, greeting);
    const { message } = await send({ contentSid: template.sid, contentVariables: '{"1":"Ada"}' });
    expect(message.body).toBe('Hi Ada, your order A-0 is ready.');
  });

  it('a media template carries its rendered media', async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER);
    const template = running.sim.addTemplate(account.sid, {
      friendlyName: 'Invoice',
      types: { 'twilio/media': { body: 'Invoice {{1}}', media: ['https://cdn.example.com/{{1}}.pdf'] } },
      variables: { '1': 'INV-1' },
    });
    const { message, stored } = await send({ contentSid: template.sid, contentVariables: '{"1":"INV-7"}' });
    expect(message.body).toBe('Invoice INV-7');
    expect(message.numMedia).toBe('1');
    expect(stored?.mediaUrls).toEqual(['https://cdn.example.com/INV-7.pdf']);
  });

  it('outside the window: an approved template is delivered; free text fails with 63016', async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER, new Date(Date.now() - 25 * HOUR));
    const template = running.sim.addTemplate(account.sid, greeting);
    const approved = await send({ contentSid: template.sid, contentVariables: '{"1":"Ada","2":"C-1"}' });
    expect(approved.last).toMatchObject({ MessageStatus: 'read' });
    const freeText = await send({ body: 'Hi Ada, your order C-1 is ready.' });
    expect(freeText.message.status).toBe('queued');
    expect(freeText.last).toMatchObject({ MessageStatus: 'failed', ErrorCode: '63016' });
  });

  it('outside the window a pending, rejected or paused template fails with 63016; inside it goes through', async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER, new Date(Date.now() - 25 * HOUR));
    for (const approval of ['pending', 'rejected', 'paused'] as const) {
      const template = running.sim.addTemplate(account.sid, { ...greeting, approval });
      const outside = await send({ contentSid: template.sid });
      expect(outside.message.status).toBe('queued');
      expect(outside.last).toMatchObject({ MessageStatus: 'failed', ErrorCode: '63016' });
      expect(outside.stored?.errorCode).toBe(63016);
    }
    running.sim.openConversation(account.sid, sender, CUSTOMER);
    const pending = running.sim.addTemplate(account.sid, { ...greeting, approval: 'pending' });
    expect((await send({ contentSid: pending.sid })).last).toMatchObject({ MessageStatus: 'read' });
  });

  it('a variable the template does not have fails with 63028 through the status callback', async () => {
    running.sim.openConversation(account.sid, sender, CUSTOMER);
    const template = running.sim.addTemplate(account.sid, greeting);
    const { message, last } = await send({
      contentSid: template.sid,
      contentVariables: '{"1":"Ada","2":"D-1","3":"extra"}',
    });
    expect(message.status).toBe('queued');
    expect(last).toMatchObject({ MessageStatus: 'failed', ErrorCode: '63028' });
  });

  it('invalid ContentVariables are refused with 400 21656, an unknown ContentSid with 21655', async () => {
    const template = running.sim.addTemplate(account.sid, greeting);
    for (const contentVariables of ['not json', '["Ada"]', '{"1":""}', '{"1":null}', '{"1":"two\\nlines"}']) {
      await expect(send({ contentSid: template.sid, contentVariables })).rejects.toMatchObject({
        status: 400,
        code: 21656,
      });
    }
    const foreign = running.sim.addTemplate(running.sim.seedAccount().sid, greeting);
    await expect(send({ contentSid: foreign.sid })).rejects.toMatchObject({ status: 400, code: 21655 });
    expect(running.sim.messages(account.sid)).toHaveLength(0);
  });
});

describe('the control API for templates and the window', () => {
  it('creates templates and places the last inbound message 25 hours ago', async () => {
    const created = await control('POST', `/accounts/${account.sid}/templates`, {
      ...greeting,
      approval: 'rejected',
      rejectionReason: 'TAG_CONTENT_MISMATCH',
    });
    expect(created.status).toBe(201);
    const sid = (created.body as { sid: string }).sid;
    expect(sid).toMatch(/^HX[0-9a-f]{32}$/);
    const state = await control('GET', `/accounts/${account.sid}`);
    expect(state.body).toMatchObject({
      templates: [{ sid, approval: 'rejected', rejectionReason: 'TAG_CONTENT_MISMATCH' }],
    });
    expect((await control('POST', `/accounts/${account.sid}/templates`, { friendlyName: 'x' })).status).toBe(
      400,
    );
    const approved = await control('PATCH', `/accounts/${account.sid}/templates/${sid}`, {
      approval: 'approved',
    });
    expect(approved.body).toMatchObject({ sid, approval: 'approved', rejectionReason: '' });
    const maybe = await control('PATCH', `/accounts/${account.sid}/templates/${sid}`, { approval: 'maybe' });
    expect(maybe.status).toBe(400);
    const elsewhere = running.sim.seedAccount().sid;
    const foreign = await control('PATCH', `/accounts/${elsewhere}/templates/${sid}`, { approval: 'paused' });
    expect(foreign.status).toBe(404);

    const lastInboundAt = new Date(Date.now() - 25 * HOUR).toISOString();
    const opened = await control('POST', `/accounts/${account.sid}/conversations`, {
      sender: `whatsapp:${sender}`,
      customer: CUSTOMER,
      lastInboundAt,
    });
    expect(opened.status).toBe(204);
    expect((await send({ body: 'late' })).last).toMatchObject({ ErrorCode: '63016' });
    await control('POST', `/accounts/${account.sid}/conversations`, { sender, customer: CUSTOMER });
    expect((await send({ body: 'in time' })).last).toMatchObject({ MessageStatus: 'read' });
    const bad = await control('POST', `/accounts/${account.sid}/conversations`, {
      sender,
      customer: CUSTOMER,
      lastInboundAt: 'yesterday',
    });
    expect(bad.status).toBe(400);
  });

  it('delivers a quick-reply answer with ButtonPayload and ButtonText, and it opens the window', async () => {
    running.sim.senders.forEach((s) => {
      if (s.senderId === `whatsapp:${sender}`)
        s.webhook.callback_url = `${receiver.baseUrl}/tapped/${counter}`;
    });
    const inbound = await control('POST', '/inbound', {
      to: sender,
      from: CUSTOMER,
      body: 'Yes',
      buttonPayload: 'yes',
      buttonText: 'Yes',
    });
    expect(inbound.status).toBe(200);
    expect(receiver.on(`/tapped/${counter}`)[0]?.params).toMatchObject({
      MessageType: 'button',
      ButtonPayload: 'yes',
      ButtonText: 'Yes',
      Body: 'Yes',
    });
    expect((await send({ body: 'Thanks!' })).last).toMatchObject({ MessageStatus: 'read' });
  });
});
