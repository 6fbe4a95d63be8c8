import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwilioAdapter, TwilioCredentials } from '../src/index.ts';
import { createTwilioAdapter, TwilioAdapterError } from '../src/index.ts';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';

// The health check's read of a sender (status, offline reasons, quality, webhooks),
// and the simulator's control routes that move a sender or a number "at Twilio".

let twilioSim: RunningTwilioSimulator;
let adapter: TwilioAdapter;
let account: TwilioCredentials;

beforeAll(async () => {
  twilioSim = await startTwilioSimulator({ statusDelayMs: 1 });
  adapter = createTwilioAdapter({ apiBaseUrl: twilioSim.url, timeoutMs: 2_000 });
});

afterAll(async () => {
  await twilioSim?.close();
});

beforeEach(() => {
  const seeded = twilioSim.sim.seedAccount();
  account = { accountSid: seeded.sid, authToken: seeded.authToken };
});

const control = (method: 'PATCH', url: string, payload: unknown) =>
  twilioSim.app.inject({ method, url: `/_simulator${url}`, payload: payload as object });

describe('readSenderState', () => {
  it('an online sender: its status, quality rating, messaging limit and webhooks', async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15557770001');
    await adapter.configureWebhooks(
      account,
      { kind: 'sender', sid: sender.sid },
      {
        inboundUrl: 'https://example.test/in',
        statusUrl: 'https://example.test/in/status',
      },
    );
    await expect(adapter.readSenderState(account, { kind: 'sender', sid: sender.sid })).resolves.toEqual({
      status: 'ONLINE',
      offlineReasons: [],
      qualityRating: 'HIGH',
      messagingLimit: '1K Customers/24hr',
      webhooks: {
        inboundUrl: 'https://example.test/in',
        inboundMethod: 'POST',
        statusUrl: 'https://example.test/in/status',
        statusMethod: 'POST',
      },
    });
  });

  it("a sender taken OFFLINE at Twilio comes back with Twilio's reasons", async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15557770002');
    const res = await control('PATCH', `/accounts/${account.accountSid}/senders/${sender.sid}`, {
      status: 'OFFLINE',
      qualityRating: 'LOW',
      offlineReasons: [
        {
          code: '63020',
          message: 'Meta disabled the WhatsApp Business Account',
          moreInfo: 'https://www.twilio.com/docs/api/errors/63020',
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    const state = await adapter.readSenderState(account, { kind: 'sender', sid: sender.sid });
    expect(state).toMatchObject({
      status: 'OFFLINE',
      qualityRating: 'LOW',
      offlineReasons: [
        {
          code: '63020',
          message: 'Meta disabled the WhatsApp Business Account',
          moreInfo: 'https://www.twilio.com/docs/api/errors/63020',
        },
      ],
    });

    // Back ONLINE: the reasons go with it.
    await control('PATCH', `/accounts/${account.accountSid}/senders/${sender.sid}`, { status: 'ONLINE' });
    await expect(
      adapter.readSenderState(account, { kind: 'sender', sid: sender.sid }),
    ).resolves.toMatchObject({
      status: 'ONLINE',
      offlineReasons: [],
    });
  });

  it("a sender's webhook URL changed in the console is what the adapter reads next", async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15557770003');
    await control('PATCH', `/accounts/${account.accountSid}/senders/${sender.sid}`, {
      webhook: { callbackUrl: 'https://elsewhere.test/hook' },
    });
    const state = await adapter.readSenderState(account, { kind: 'sender', sid: sender.sid });
    expect(state?.webhooks.inboundUrl).toBe('https://elsewhere.test/hook');
  });

  it('a phone number: no sender status, its SmsUrl and StatusCallback as the console left them', async () => {
    const number = twilioSim.sim.addIncomingNumber(account.accountSid, '+15557770004');
    const res = await control('PATCH', `/accounts/${account.accountSid}/incoming-numbers/${number.sid}`, {
      smsUrl: 'https://elsewhere.test/sms',
    });
    expect(res.statusCode).toBe(200);
    await expect(
      adapter.readSenderState(account, { kind: 'incoming_number', sid: number.sid }),
    ).resolves.toEqual({
      status: null,
      offlineReasons: [],
      qualityRating: null,
      messagingLimit: null,
      webhooks: {
        inboundUrl: 'https://elsewhere.test/sms',
        inboundMethod: 'POST',
        statusUrl: null,
        statusMethod: 'POST',
      },
    });
  });

  it('the sandbox has no API: null, without asking Twilio', async () => {
    const before = twilioSim.sim.apiRequests().length;
    await expect(adapter.readSenderState(account, { kind: 'sandbox', sid: null })).resolves.toBeNull();
    expect(twilioSim.sim.apiRequests()).toHaveLength(before);
  });

  it("a sender's webhooks read alone are the ones its state gives, and a gone sender is refused alike", async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15557770008');
    Object.assign(sender.webhook, { callback_url: 'https://before.example.com/in', callback_method: 'PUT' });
    const found = { kind: 'sender', sid: sender.sid } as const;
    const state = await adapter.readSenderState(account, found);
    await expect(adapter.readWebhooks(account, found)).resolves.toEqual(state?.webhooks);
    expect(state?.webhooks).toMatchObject({
      inboundUrl: 'https://before.example.com/in',
      inboundMethod: 'PUT',
    });

    const gone = { kind: 'sender', sid: `XE${'1'.repeat(32)}` } as const;
    const fromState = (await adapter
      .readSenderState(account, gone)
      .catch((e: unknown) => e)) as TwilioAdapterError;
    const fromWebhooks = (await adapter
      .readWebhooks(account, gone)
      .catch((e: unknown) => e)) as TwilioAdapterError;
    expect(fromWebhooks).toMatchObject({ kind: 'not_found', message: fromState.message });
    expect(fromState.message).toBe(
      `The WhatsApp sender ${gone.sid} no longer exists in account ${account.accountSid}. Look the number up again.`,
    );
  });

  it('a sender that no longer exists is not_found, saying so', async () => {
    const error = await adapter
      .readSenderState(account, { kind: 'sender', sid: `XE${'0'.repeat(32)}` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwilioAdapterError);
    expect((error as TwilioAdapterError).kind).toBe('not_found');
    expect((error as TwilioAdapterError).message).toMatch(/no longer exists/);
  });
});

describe('the control routes check what they are given', () => {
  it('an unknown status, a relative URL or an unknown field is a 400 that names it; nothing changes', async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15557770005');
    const url = `/accounts/${account.accountSid}/senders/${sender.sid}`;
    const bad = [
      [{ status: 'ASLEEP' }, /status must be one of/],
      [{ webhook: { callbackUrl: '/relative' } }, /webhook.callbackUrl must be an absolute URL/],
      [{ webhook: { callbackUrl: 'ftp://x.test/' } }, /http or https/],
      [{ colour: 'red' }, /unknown field\(s\) colour/],
      [{ status: 'OFFLINE', offlineReasons: 'broken' }, /offlineReasons must be an array/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await control('PATCH', url, body);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: string }>().error).toMatch(message);
    }
    expect(twilioSim.sim.senders.get(sender.sid)).toMatchObject({
      status: 'ONLINE',
      webhook: { callback_url: null },
    });
  });

  it("another account's sender or number is a 404", async () => {
    const other = twilioSim.sim.seedAccount();
    const sender = twilioSim.sim.addWhatsappSender(other.sid, '+15557770006');
    const number = twilioSim.sim.addIncomingNumber(other.sid, '+15557770007');
    const a = await control('PATCH', `/accounts/${account.accountSid}/senders/${sender.sid}`, {
      status: 'OFFLINE',
    });
    // A change that would show (null to a URL), so that a PATCH applied despite the 404 is seen.
    const b = await control('PATCH', `/accounts/${account.accountSid}/incoming-numbers/${number.sid}`, {
      smsUrl: 'https://elsewhere.test/sms',
    });
    expect([a.statusCode, b.statusCode]).toEqual([404, 404]);
    expect(twilioSim.sim.senders.get(sender.sid)?.status).toBe('ONLINE');
    expect(twilioSim.sim.incomingNumbers.get(number.sid)?.smsUrl).toBeNull();
  });
});

describe("Twilio's OpenAPI description", () => {
  it('every request made here, and every answer given, conforms to it', () => {
    expect(twilioSim.sim.apiRequests().length).toBeGreaterThan(0);
    expect(twilioSim.sim.oaiViolations()).toEqual([]);
  });
});
