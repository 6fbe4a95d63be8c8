import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwilioAdapter, TwilioAdapterError, TwilioCredentials } from '../src/index.ts';
import { createTwilioAdapter, serviceWithoutWhatsappSender } from '../src/index.ts';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';

let running: RunningTwilioSimulator;
let adapter: TwilioAdapter;
let account: TwilioCredentials;
let counter = 0;
const number = () => {
  counter += 1;
  return `+1555010${String(counter).padStart(4, '0')}`;
};

beforeAll(async () => {
  running = await startTwilioSimulator({ statusDelayMs: 1 });
  adapter = createTwilioAdapter({ apiBaseUrl: running.url, timeoutMs: 2_000 });
});
afterAll(async () => {
  await running?.close();
});
beforeEach(() => {
  const seeded = running.sim.seedAccount();
  account = { accountSid: seeded.sid, authToken: seeded.authToken };
  running.sim.clearOaiViolations();
});

describe('the adapter and Messaging Services', () => {
  it("finds a service's WhatsApp senders (its ChannelSenders, and its phone numbers that are senders), not a plain number", async () => {
    const [a, b, c, plain] = [number(), number(), number(), number()];
    const service = running.sim.addMessagingService(account.accountSid, { senders: [a, b] });
    // A phone number in the pool that is also a WhatsApp sender of the account counts…
    running.sim.addWhatsappSender(account.accountSid, c);
    running.sim.messagingServices.addPhoneNumber(
      service.sid,
      running.sim.addIncomingNumber(account.accountSid, c).sid,
    );
    // …one that is not, does not.
    running.sim.messagingServices.addPhoneNumber(
      service.sid,
      running.sim.addIncomingNumber(account.accountSid, plain).sid,
    );
    const found = await adapter.findMessagingService(account, service.sid);
    expect(found.sid).toBe(service.sid);
    expect(found.whatsappSenders.map((s) => s.number)).toEqual([a, b, c]);
    expect(found.whatsappSenders.every((s) => s.sid.startsWith('XE'))).toBe(true);
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it('refuses a service without a WhatsApp sender, and one of another account, each with a sentence', async () => {
    const empty = running.sim.addMessagingService(account.accountSid);
    const none = (await adapter
      .findMessagingService(account, empty.sid)
      .catch((e: unknown) => e)) as TwilioAdapterError;
    expect(none).toMatchObject({ kind: 'number_not_found', field: 'messagingServiceSid' });
    expect(none.message).toBe(serviceWithoutWhatsappSender(empty.sid, account.accountSid));

    const foreign = running.sim.addMessagingService(running.sim.seedAccount().sid, { senders: [number()] });
    const missing = (await adapter
      .findMessagingService(account, foreign.sid)
      .catch((e: unknown) => e)) as TwilioAdapterError;
    expect(missing).toMatchObject({ kind: 'not_found', field: 'messagingServiceSid', httpStatus: 404 });
    expect(missing.message).toContain('Messaging > Services');
  });

  it('an account that cannot list its WhatsApp senders (403 or 404) is refused for a service as for a number, not guessed at', async () => {
    const service = running.sim.addMessagingService(account.accountSid, { senders: [number()] });
    for (const status of [403, 404]) {
      running.sim.injectFault({
        operationId: 'ListChannelsSender',
        accountSid: account.accountSid,
        status,
        code: status === 403 ? 20403 : 20404,
      });
      const error = (await adapter
        .findMessagingService(account, service.sid)
        .catch((e: unknown) => e)) as TwilioAdapterError;
      expect(error).toMatchObject({
        kind: 'number_not_found',
        field: 'messagingServiceSid',
        httpStatus: status,
      });
      expect(error.message).toBe(
        `Account ${account.accountSid} cannot list its WhatsApp senders (Twilio answered HTTP ${status}), so the numbers of Messaging Service ${service.sid} cannot be checked as WhatsApp senders. Open Messaging → Senders → WhatsApp senders in the Twilio Console for this account; once the service's numbers are listed there, connect it here.`,
      );
    }
    running.sim.clearFaults();
  });

  it("lists the pool's WhatsApp numbers from its two lists, asking for the account's senders only about a phone number it does not know", async () => {
    const [a, c, plain] = [number(), number(), number()];
    const service = running.sim.addMessagingService(account.accountSid, { senders: [a] });
    running.sim.addWhatsappSender(account.accountSid, c);
    for (const e164 of [c, plain]) {
      running.sim.messagingServices.addPhoneNumber(
        service.sid,
        running.sim.addIncomingNumber(account.accountSid, e164).sid,
      );
    }
    const reads = () => running.sim.apiRequests().map((r) => r.operationId);
    let before = reads().length;
    await expect(adapter.listServiceWhatsappNumbers(account, service.sid, [])).resolves.toEqual([a, c]);
    expect(reads().slice(before).sort()).toEqual([
      'ListChannelSender',
      'ListChannelsSender',
      'ListPhoneNumber',
    ]);

    // Both phone numbers known (stored at an earlier connect): two reads, and the known ones count.
    before = reads().length;
    await expect(adapter.listServiceWhatsappNumbers(account, service.sid, [c, plain])).resolves.toEqual([
      a,
      c,
      plain,
    ]);
    expect(reads().slice(before).sort()).toEqual(['ListChannelSender', 'ListPhoneNumber']);

    const empty = running.sim.addMessagingService(account.accountSid);
    await expect(adapter.listServiceWhatsappNumbers(account, empty.sid, [])).resolves.toEqual([]);

    const foreign = running.sim.addMessagingService(running.sim.seedAccount().sid, { senders: [number()] });
    const missing = (await adapter
      .listServiceWhatsappNumbers(account, foreign.sid, [])
      .catch((e: unknown) => e)) as TwilioAdapterError;
    expect(missing).toMatchObject({ kind: 'not_found', field: 'messagingServiceSid', httpStatus: 404 });
    expect(missing.message).toContain(`has no Messaging Service ${foreign.sid}`);

    running.sim.injectFault({
      operationId: 'ListChannelsSender',
      accountSid: account.accountSid,
      status: 403,
      code: 20403,
    });
    const unlisted = (await adapter
      .listServiceWhatsappNumbers(account, service.sid, [])
      .catch((e: unknown) => e)) as TwilioAdapterError;
    running.sim.clearFaults();
    expect(unlisted).toMatchObject({
      kind: 'number_not_found',
      field: 'messagingServiceSid',
      httpStatus: 403,
    });
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it("points the service's webhooks here with UseInboundWebhookOnNumber off, reads them, and puts the earlier ones back", async () => {
    const service = running.sim.addMessagingService(account.accountSid, {
      senders: [number()],
      inboundRequestUrl: 'https://earlier.example.com/in',
      useInboundWebhookOnNumber: true,
    });
    const sender = { kind: 'messaging_service', sid: service.sid } as const;
    const before = await adapter.readWebhooks(account, sender);
    expect(before).toEqual({
      inboundUrl: 'https://earlier.example.com/in',
      inboundMethod: 'POST',
      statusUrl: null,
      statusMethod: null,
      useInboundWebhookOnNumber: true,
    });
    await adapter.configureWebhooks(account, sender, {
      inboundUrl: 'https://us.example.com/in',
      statusUrl: 'https://us.example.com/status',
    });
    expect(running.sim.services.get(service.sid)).toMatchObject({
      inboundRequestUrl: 'https://us.example.com/in',
      statusCallback: 'https://us.example.com/status',
      useInboundWebhookOnNumber: false,
    });
    await adapter.restoreWebhooks(account, sender, before!);
    expect(running.sim.services.get(service.sid)).toMatchObject({
      inboundRequestUrl: 'https://earlier.example.com/in',
      statusCallback: null,
      useInboundWebhookOnNumber: true,
    });
    expect(running.sim.oaiViolations()).toEqual([]);
  });

  it('sends with MessagingServiceSid and no From; Twilio picks a sender of the pool, which the answer names', async () => {
    const senders = [number(), number()];
    const service = running.sim.addMessagingService(account.accountSid, { senders });
    running.sim.openConversation(account.accountSid, senders[1]!, 'whatsapp:+447700900123');
    const sent = await adapter.sendMessage(account, {
      from: senders[0]!,
      messagingServiceSid: service.sid,
      to: 'whatsapp:+447700900123',
      body: 'Hello',
      statusCallback: 'https://us.example.com/status',
    });
    // Not the `from` given: no From went to Twilio, which picked the sender the customer wrote to.
    expect(sent.from).toBe(`whatsapp:${senders[1]}`);
    expect(running.sim.message(sent.sid)).toMatchObject({
      messagingServiceSid: service.sid,
      from: `whatsapp:${senders[1]}`,
    });
    expect(running.sim.oaiViolations()).toEqual([]);
  });
});
