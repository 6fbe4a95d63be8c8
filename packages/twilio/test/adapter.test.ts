import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapTwilioFailure } from '../src/adapter/map-twilio-failure.ts';
import type { TwilioAdapter, TwilioApiCallOutcome, TwilioCredentials } from '../src/index.ts';
import {
  createTwilioAdapter,
  describeTwilioError,
  notAWhatsappSenderYet,
  TwilioAdapterError,
} from '../src/index.ts';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const SANDBOX = '+14155238886';

let twilioSim: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let adapter: TwilioAdapter;
const outcomes: TwilioApiCallOutcome[] = [];
let account: TwilioCredentials;

async function failure(promise: Promise<unknown>): Promise<TwilioAdapterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TwilioAdapterError);
  return error as TwilioAdapterError;
}

beforeAll(async () => {
  twilioSim = await startTwilioSimulator({ statusDelayMs: 1 });
  receiver = await startWebhookReceiver();
  adapter = createTwilioAdapter({
    apiBaseUrl: twilioSim.url,
    timeoutMs: 2_000,
    onApiCall: (outcome) => outcomes.push(outcome),
  });
});

afterAll(async () => {
  await twilioSim?.close();
  await receiver?.close();
});

beforeEach(() => {
  const seeded = twilioSim.sim.seedAccount({ friendlyName: 'Acme Support' });
  account = { accountSid: seeded.sid, authToken: seeded.authToken };
});

describe('verifyCredentials', () => {
  it('returns the account for good credentials', async () => {
    await expect(adapter.verifyCredentials(account)).resolves.toEqual({
      accountSid: account.accountSid,
      friendlyName: 'Acme Support',
      status: 'active',
      type: 'Full',
    });
  });

  it('a wrong auth token is rejected_credentials (20003) on the authToken field, without echoing the token', async () => {
    const wrongToken = 'f'.repeat(32);
    const error = await failure(adapter.verifyCredentials({ ...account, authToken: wrongToken }));
    expect(error).toMatchObject({
      kind: 'rejected_credentials',
      twilioCode: 20003,
      httpStatus: 401,
      field: 'authToken',
    });
    expect(error.message).toContain('Twilio rejected these credentials (20003)');
    expect(error.message).not.toContain(wrongToken);
    expect(JSON.stringify(error)).not.toContain(wrongToken);
  });

  it('an Account SID Twilio does not know is rejected_credentials', async () => {
    const error = await failure(adapter.verifyCredentials({ ...account, accountSid: `AC${'0'.repeat(32)}` }));
    expect(error.kind).toBe('rejected_credentials');
  });

  it('a malformed Account SID is refused before calling Twilio', async () => {
    const before = twilioSim.sim.apiRequests().length;
    const error = await failure(adapter.verifyCredentials({ ...account, accountSid: 'SK123' }));
    expect(error).toMatchObject({ kind: 'invalid_request', field: 'accountSid' });
    expect(twilioSim.sim.apiRequests().length).toBe(before);
  });

  it('a suspended account is account_inactive', async () => {
    twilioSim.sim.setAccountStatus(account.accountSid, 'suspended');
    const error = await failure(adapter.verifyCredentials(account));
    expect(error).toMatchObject({ kind: 'account_inactive', field: 'accountSid' });
    expect(error.message).toContain(account.accountSid);
    expect(error.message).toContain('suspended');
  });
});

describe('findWhatsappSender', () => {
  it('finds a Senders API sender first', async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15550001001');
    twilioSim.sim.addIncomingNumber(account.accountSid, '+15550001001');
    await expect(adapter.findWhatsappSender(account, '+15550001001')).resolves.toEqual({
      kind: 'sender',
      sid: sender.sid,
    });
  });

  it('finds a sender on a later page of the Senders list', async () => {
    for (let i = 0; i < 120; i++)
      twilioSim.sim.addWhatsappSender(account.accountSid, `+1555100${String(i).padStart(4, '0')}`);
    const last = twilioSim.sim.addWhatsappSender(account.accountSid, '+15559999999');
    await expect(adapter.findWhatsappSender(account, '+15559999999')).resolves.toEqual({
      kind: 'sender',
      sid: last.sid,
    });
  });

  it('a phone number of the account that is not a WhatsApp sender is refused, saying how to register it', async () => {
    twilioSim.sim.addIncomingNumber(account.accountSid, '+15550001002');
    const error = await failure(adapter.findWhatsappSender(account, '+15550001002'));
    expect(error).toMatchObject({ kind: 'number_not_found', field: 'whatsappNumber' });
    expect(error.message).toBe(
      `+15550001002 is a phone number in account ${account.accountSid} but not a WhatsApp sender. Register it in the Twilio Console under Messaging → Senders → WhatsApp senders, then connect it here.`,
    );
    expect(error.message).toBe(notAWhatsappSenderYet('+15550001002', account.accountSid));
  });

  it('an account that cannot list its WhatsApp senders is refused, not guessed at', async () => {
    twilioSim.sim.addIncomingNumber(account.accountSid, '+15550001005');
    twilioSim.sim.injectFault({ operationId: 'ListChannelsSender', status: 403, code: 20403 });
    const error = await failure(adapter.findWhatsappSender(account, '+15550001005'));
    twilioSim.sim.clearFaults();
    expect(error).toMatchObject({ kind: 'number_not_found', field: 'whatsappNumber', httpStatus: 403 });
    expect(error.message).toBe(
      `Account ${account.accountSid} cannot list its WhatsApp senders (Twilio answered HTTP 403), so +15550001005 cannot be checked as one. Open Messaging → Senders → WhatsApp senders in the Twilio Console for this account; once the number is listed there, connect it here.`,
    );
  });

  it('knows the sandbox number without asking Twilio', async () => {
    const before = twilioSim.sim.apiRequests().length;
    await expect(adapter.findWhatsappSender(account, SANDBOX)).resolves.toEqual({
      kind: 'sandbox',
      sid: null,
    });
    expect(twilioSim.sim.apiRequests().length).toBe(before);
  });

  it('a number of another account is number_not_found, naming the number and the account', async () => {
    const other = twilioSim.sim.seedAccount();
    twilioSim.sim.addWhatsappSender(other.sid, '+15550001003');
    twilioSim.sim.addIncomingNumber(other.sid, '+15550001003');
    const error = await failure(adapter.findWhatsappSender(account, '+15550001003'));
    expect(error).toMatchObject({ kind: 'number_not_found', field: 'whatsappNumber' });
    expect(error.message).toBe(
      `+15550001003 is not a WhatsApp sender in account ${account.accountSid}. Check the number, or register it as a WhatsApp sender in the Twilio Console.`,
    );
  });

  it('wrong credentials surface as rejected_credentials, not as a missing number', async () => {
    const error = await failure(
      adapter.findWhatsappSender({ ...account, authToken: 'e'.repeat(32) }, '+15550001004'),
    );
    expect(error.kind).toBe('rejected_credentials');
  });
});

describe('configureWebhooks', () => {
  const urls = {
    inboundUrl: 'https://app.example.com/webhooks/twilio/whatsapp/c1',
    statusUrl: 'https://app.example.com/webhooks/twilio/whatsapp/c1/status',
  };

  it("sets a Senders API sender's webhook", async () => {
    const sender = twilioSim.sim.addWhatsappSender(account.accountSid, '+15550002001');
    await expect(
      adapter.configureWebhooks(account, { kind: 'sender', sid: sender.sid }, urls),
    ).resolves.toEqual({
      configured: true,
    });
    expect(twilioSim.sim.senders.get(sender.sid)?.webhook).toEqual({
      callback_url: urls.inboundUrl,
      callback_method: 'POST',
      fallback_url: null,
      fallback_method: null,
      status_callback_url: urls.statusUrl,
      status_callback_method: 'POST',
    });
  });

  it("sets a phone number's SmsUrl and StatusCallback", async () => {
    const number = twilioSim.sim.addIncomingNumber(account.accountSid, '+15550002002');
    await expect(
      adapter.configureWebhooks(account, { kind: 'incoming_number', sid: number.sid }, urls),
    ).resolves.toEqual({ configured: true });
    expect(twilioSim.sim.incomingNumbers.get(number.sid)).toMatchObject({
      smsUrl: urls.inboundUrl,
      smsMethod: 'POST',
      statusCallback: urls.statusUrl,
      statusCallbackMethod: 'POST',
    });
  });

  it('cannot configure the sandbox (it is set in the console)', async () => {
    const before = twilioSim.sim.apiRequests().length;
    await expect(adapter.configureWebhooks(account, { kind: 'sandbox', sid: null }, urls)).resolves.toEqual({
      configured: false,
    });
    expect(twilioSim.sim.apiRequests().length).toBe(before);
  });

  it('a sender that no longer exists is not_found', async () => {
    const error = await failure(
      adapter.configureWebhooks(account, { kind: 'sender', sid: `XE${'a'.repeat(32)}` }, urls),
    );
    expect(error).toMatchObject({ kind: 'not_found', twilioCode: 20404, httpStatus: 404 });
  });
});

describe('sendMessage', () => {
  const customer = 'whatsapp:+15557770001';

  it('sends, and the status callbacks queued, sent, delivered, read arrive signed', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003001');
    twilioSim.sim.openConversation(account.accountSid, '+15550003001', customer);
    const statusPath = `/status/${account.accountSid}`;
    const sent = await adapter.sendMessage(account, {
      from: '+15550003001',
      to: customer,
      body: 'Your order has shipped',
      statusCallback: `${receiver.baseUrl}${statusPath}`,
    });
    expect(sent).toMatchObject({ status: 'queued', errorCode: null, errorMessage: null });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    await twilioSim.sim.waitForIdle();

    const callbacks = receiver.on(statusPath);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered', 'read']);
    for (const c of callbacks) {
      expect(c.params).toMatchObject({ MessageSid: sent.sid, AccountSid: account.accountSid, To: customer });
      expect(c.params.From).toBe('whatsapp:+15550003001');
      const signature = String(c.headers['x-twilio-signature']);
      expect(twilio.validateRequest(account.authToken, signature, c.url, c.params)).toBe(true);
    }
    expect(twilioSim.sim.message(sent.sid)?.status).toBe('read');
  });

  it('sends media URLs as repeated MediaUrl parameters', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003002');
    twilioSim.sim.openConversation(account.accountSid, '+15550003002', customer);
    const sent = await adapter.sendMessage(account, {
      from: '+15550003002',
      to: customer,
      mediaUrls: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.pdf'],
      statusCallback: `${receiver.baseUrl}/media-status`,
    });
    expect(twilioSim.sim.message(sent.sid)?.mediaUrls).toEqual([
      'https://cdn.example.com/a.jpg',
      'https://cdn.example.com/b.pdf',
    ]);
  });

  it('outside the 24-hour window the message fails with 63016', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003003');
    const statusPath = `/window/${account.accountSid}`;
    const sent = await adapter.sendMessage(account, {
      from: '+15550003003',
      to: customer,
      body: 'Hello?',
      statusCallback: `${receiver.baseUrl}${statusPath}`,
    });
    await twilioSim.sim.waitForIdle();
    const last = receiver.on(statusPath).at(-1);
    expect(last?.params).toMatchObject({ MessageStatus: 'failed', ErrorCode: '63016', MessageSid: sent.sid });
    expect(describeTwilioError(63016)).toContain('24 hours');
  });

  it('the sandbox fails with 63015 until the recipient joins', async () => {
    twilioSim.sim.setSandboxWebhook(account.accountSid, `${receiver.baseUrl}/sandbox-inbound`);
    const send = () =>
      adapter.sendMessage(account, {
        from: SANDBOX,
        to: customer,
        body: 'Hi from the sandbox',
        statusCallback: `${receiver.baseUrl}/sandbox-status/${account.accountSid}`,
      });
    const before = await send();
    await twilioSim.sim.waitForIdle();
    expect(twilioSim.sim.message(before.sid)).toMatchObject({ status: 'failed', errorCode: 63015 });
    expect(describeTwilioError(63015)).toContain('join');

    const joined = await twilioSim.sim.deliverInbound({
      accountSid: account.accountSid,
      to: SANDBOX,
      from: customer,
      body: 'join simulated-sandbox',
    });
    expect(joined.joinedSandbox).toBe(true);
    const after = await send();
    await twilioSim.sim.waitForIdle();
    expect(twilioSim.sim.message(after.sid)?.status).toBe('read');
  });

  it('an invalid recipient is invalid_request 21211 on the to field', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003004');
    const error = await failure(
      adapter.sendMessage(account, {
        from: '+15550003004',
        to: 'whatsapp:12345',
        body: 'x',
        statusCallback: `${receiver.baseUrl}/unused`,
      }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', twilioCode: 21211, httpStatus: 400, field: 'to' });
    expect(error.message).toContain('21211');
  });

  it("a From that is not one of the account's senders is refused on the whatsappNumber field", async () => {
    const error = await failure(
      adapter.sendMessage(account, {
        from: '+15550003999',
        to: customer,
        body: 'x',
        statusCallback: `${receiver.baseUrl}/unused`,
      }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', twilioCode: 63007, field: 'whatsappNumber' });
  });

  it('a media URL Twilio cannot fetch is refused on the mediaUrls field', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003005');
    const error = await failure(
      adapter.sendMessage(account, {
        from: '+15550003005',
        to: customer,
        mediaUrls: ['ftp://files.example.com/a.jpg'],
        statusCallback: `${receiver.baseUrl}/unused`,
      }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', twilioCode: 21620, field: 'mediaUrls' });
  });
});

describe('when Twilio is unwell', () => {
  afterEach(() => twilioSim.sim.clearFaults());

  it('an unreachable base URL is unreachable, quickly', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    server.close();
    await once(server, 'close');

    const seen: TwilioApiCallOutcome[] = [];
    const offline = createTwilioAdapter({
      apiBaseUrl: `http://127.0.0.1:${port}`,
      onApiCall: (o) => seen.push(o),
    });
    const started = Date.now();
    const error = await failure(offline.verifyCredentials(account));
    expect(error.kind).toBe('unreachable');
    expect(error.requestMayHaveReachedTwilio).toBe(false); // refused: nothing was sent
    expect(error.message).toBe('Twilio could not be reached. Try again in a minute.');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen).toEqual(['unreachable']);
  });

  it('a request that hangs past the timeout is unreachable', async () => {
    twilioSim.sim.injectFault({ operationId: 'FetchAccount', delayMs: 3_000 });
    const impatient = createTwilioAdapter({ apiBaseUrl: twilioSim.url, timeoutMs: 200 });
    const started = Date.now();
    const error = await failure(impatient.verifyCredentials(account));
    expect(error.kind).toBe('unreachable');
    expect(error.requestMayHaveReachedTwilio).toBe(true); // sent, then no answer in time
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('a 5xx is twilio_error with a readable message, and is not retried', async () => {
    twilioSim.sim.injectFault({ operationId: 'FetchAccount', status: 503, count: 2 });
    const before = twilioSim.sim.apiRequests().length;
    const error = await failure(adapter.verifyCredentials(account));
    expect(error).toMatchObject({ kind: 'twilio_error', httpStatus: 503 });
    expect(error.message).toMatch(/^Twilio had a problem answering \(HTTP 503/);
    expect(twilioSim.sim.apiRequests().length).toBe(before + 1);
  });

  it('a 429 is rate_limited and is not retried', async () => {
    twilioSim.sim.injectFault({ operationId: 'FetchAccount', status: 429, code: 20429, count: 2 });
    const before = twilioSim.sim.apiRequests().length;
    const error = await failure(adapter.verifyCredentials(account));
    expect(error).toMatchObject({ kind: 'rate_limited', httpStatus: 429, twilioCode: 20429 });
    expect(twilioSim.sim.apiRequests().length).toBe(before + 1);
  });

  it('every call was counted by outcome', () => {
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain('client_error');
    expect(outcomes).toContain('server_error');
    expect(outcomes.length).toBe(twilioSim.sim.apiRequests().length - 1); // the impatient adapter had no hook
  });
});

describe('reconciliation reads', () => {
  const customer = 'whatsapp:+15557770009';
  const paging = () =>
    createTwilioAdapter({
      apiBaseUrl: twilioSim.url,
      listPageSize: 2,
      readRetry: { attempts: 3, backoffMs: 5 },
    });

  async function numberWithTraffic(number: string) {
    // A WhatsApp sender: Twilio refuses to send from a plain phone number (63007).
    const sender = {
      kind: 'sender' as const,
      sid: twilioSim.sim.addWhatsappSender(account.accountSid, number).sid,
    };
    await adapter.configureWebhooks(account, sender, {
      inboundUrl: `${receiver.baseUrl}/in/${number}`,
      statusUrl: `${receiver.baseUrl}/st/${number}`,
    });
    for (const body of ['one', 'two', 'three'])
      await twilioSim.sim.deliverInbound({ to: number, from: customer, body });
    await twilioSim.sim.deliverInbound({
      to: number,
      from: customer,
      media: [
        { url: 'https://cdn.example.com/cat.jpg', contentType: 'image/jpeg' },
        { url: 'https://cdn.example.com/menu.pdf', contentType: 'application/pdf' },
      ],
    });
    const sent = await adapter.sendMessage(account, {
      from: number,
      to: customer,
      body: 'thanks',
      statusCallback: `${receiver.baseUrl}/st/${number}`,
    });
    await twilioSim.sim.waitForIdle();
    return sent;
  }

  it('lists inbound and outbound messages of a number, every page followed to the end', async () => {
    const sent = await numberWithTraffic('+15550004001');
    const since = new Date(Date.now() - 60_000);
    const inbound = await paging().listMessages(account, {
      to: 'whatsapp:+15550004001',
      dateSentAfter: since,
    });
    expect(inbound.map((m) => m.body)).toEqual(['', 'three', 'two', 'one']);
    expect(inbound.every((m) => m.direction === 'inbound' && m.from === customer)).toBe(true);
    const outbound = await paging().listMessages(account, {
      from: 'whatsapp:+15550004001',
      dateSentAfter: since,
    });
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({
      sid: sent.sid,
      status: 'read',
      direction: 'outbound-api',
      to: customer,
    });
    const pages = twilioSim.sim.apiRequests().filter((r) => r.operationId === 'ListMessage');
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it("recovers a message's media with the URL Twilio's webhook gives, and its content type", async () => {
    await numberWithTraffic('+15550004002');
    const [withMedia] = await adapter.listMessages(account, {
      to: 'whatsapp:+15550004002',
      dateSentAfter: new Date(Date.now() - 60_000),
    });
    expect(withMedia?.numMedia).toBe(2);
    const media = await paging().listMedia(account, withMedia!.sid);
    expect(media.map((m) => m.contentType)).toEqual(['image/jpeg', 'application/pdf']);
    for (const m of media) {
      expect(m.url).toBe(
        `https://api.twilio.com/2010-04-01/Accounts/${account.accountSid}/Messages/${withMedia!.sid}/Media/${m.sid}`,
      );
    }
  });

  it('fetches one message by SID; an unknown SID is not_found', async () => {
    const sent = await numberWithTraffic('+15550004003');
    expect(await adapter.fetchMessage(account, sent.sid)).toMatchObject({ sid: sent.sid, status: 'read' });
    const error = await failure(adapter.fetchMessage(account, `SM${'0'.repeat(32)}`));
    expect(error.kind).toBe('not_found');
  });

  it('a 429 is waited out with growing pauses, then the listing goes on; writes stay unretried', async () => {
    await numberWithTraffic('+15550004004');
    twilioSim.sim.injectFault({ operationId: 'ListMessage', status: 429, code: 20429, count: 2 });
    const started = Date.now();
    const listed = await paging().listMessages(account, {
      to: 'whatsapp:+15550004004',
      dateSentAfter: new Date(Date.now() - 60_000),
    });
    expect(listed).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15); // 5 ms, then 10 ms
    twilioSim.sim.injectFault({ operationId: 'ListMessage', status: 429, code: 20429, count: 3 });
    const error = await failure(
      paging().listMessages(account, { to: 'whatsapp:+15550004004', dateSentAfter: new Date() }),
    );
    expect(error.kind).toBe('rate_limited');
  });
});

describe('listTemplates', () => {
  const text = { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready.' } };
  const samples = { '1': 'Customer', '2': 'A-0' };

  it('lists every template with its WhatsApp approval in every state, every page followed', async () => {
    const paging = createTwilioAdapter({ apiBaseUrl: twilioSim.url, timeoutMs: 2_000, listPageSize: 2 });
    const states = ['approved', 'pending', 'rejected', 'paused', 'unsubmitted'] as const;
    const made = states.map((approval) =>
      twilioSim.sim.addTemplate(account.accountSid, {
        friendlyName: `Order ${approval}`,
        types: text,
        variables: samples,
        approval,
        ...(approval === 'rejected' ? { rejectionReason: 'TAG_CONTENT_MISMATCH' } : {}),
      }),
    );
    twilioSim.sim.addTemplate(twilioSim.sim.seedAccount().sid, {
      friendlyName: 'Not ours',
      types: text,
      variables: samples,
    });

    const listed = await paging.listTemplates(account);
    expect(listed.map((t) => t.sid)).toEqual(made.map((t) => t.sid));
    expect(listed.map((t) => t.whatsapp?.status)).toEqual([...states]);
    expect(listed[0]).toEqual({
      sid: made[0]?.sid,
      friendlyName: 'Order approved',
      language: 'en',
      variables: samples,
      types: text,
      whatsapp: {
        status: 'approved',
        rejectionReason: '',
        category: 'UTILITY',
        name: 'order_approved',
        contentType: 'twilio/text',
      },
    });
    expect(listed[2]?.whatsapp).toMatchObject({
      status: 'rejected',
      rejectionReason: 'TAG_CONTENT_MISMATCH',
    });
  });

  it('an account without templates lists none', async () => {
    expect(await adapter.listTemplates(account)).toEqual([]);
  });

  it('wrong credentials are rejected_credentials', async () => {
    const error = await failure(adapter.listTemplates({ ...account, authToken: 'f'.repeat(32) }));
    expect(error.kind).toBe('rejected_credentials');
  });
});

describe('sendMessage with a template', () => {
  const customer = 'whatsapp:+15557770009';

  it('sends ContentSid and ContentVariables (a JSON object as text), delivered outside the window', async () => {
    twilioSim.sim.addWhatsappSender(account.accountSid, '+15550003011');
    twilioSim.sim.openConversation(
      account.accountSid,
      '+15550003011',
      customer,
      new Date(Date.now() - 25 * 3_600_000),
    );
    const template = twilioSim.sim.addTemplate(account.accountSid, {
      friendlyName: 'Order ready',
      types: { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready.' } },
      variables: { '1': 'Customer', '2': 'A-0' },
    });
    const statusPath = `/template-status/${account.accountSid}`;
    const sent = await adapter.sendMessage(account, {
      from: '+15550003011',
      to: customer,
      contentSid: template.sid,
      contentVariables: { '1': 'Ada', '2': 'B-42' },
      statusCallback: `${receiver.baseUrl}${statusPath}`,
    });
    await twilioSim.sim.waitForIdle();
    // The simulator reads ContentVariables as Twilio does (a JSON object as text, else 21656).
    expect(twilioSim.sim.message(sent.sid)).toMatchObject({
      contentSid: template.sid,
      contentVariables: { '1': 'Ada', '2': 'B-42' },
      body: 'Hi Ada, your order B-42 is ready.',
      status: 'read',
    });
    expect(receiver.on(statusPath).at(-1)?.params.MessageStatus).toBe('read');
  });
});

describe("Twilio's OpenAPI description", () => {
  it('every request the adapter sent, and every answer the simulator gave, conforms to it', () => {
    expect(twilioSim.sim.apiRequests().length).toBeGreaterThan(20);
    expect(twilioSim.sim.oaiViolations()).toEqual([]);
  });
});

/** A network failure as axios reports it: its own error around Node's, sharing the code. */
function networkFailure(code: string, syscall: string | undefined) {
  const nodeError = Object.assign(new Error(`${syscall ?? ''} ${code}`), {
    code,
    ...(syscall ? { syscall } : {}),
  });
  return Object.assign(new Error(nodeError.message, { cause: nodeError }), { code, isAxiosError: true });
}

describe('whether a failed request may have reached Twilio (a sure "no" lets a send be marked failed)', () => {
  const context = { accountSid: `AC${'0'.repeat(32)}` };

  it.each([
    ['ECONNREFUSED', 'connect'],
    ['ENOTFOUND', 'getaddrinfo'],
    ['EHOSTUNREACH', 'connect'],
    ['ENETUNREACH', 'connect'],
    ['ECONNRESET', 'connect'],
    ['ETIMEDOUT', 'connect'],
  ])('%s during %s: not sent', (code, syscall) => {
    const error = mapTwilioFailure(networkFailure(code, syscall), context);
    expect(error.kind).toBe('unreachable');
    expect(error.requestMayHaveReachedTwilio).toBe(false);
  });

  it.each([
    ['ECONNRESET', 'read'],
    ['ETIMEDOUT', 'read'],
    ['ECONNRESET', undefined],
    ['ECONNABORTED', undefined],
  ])('%s during %s: may have been sent', (code, syscall) => {
    const error = mapTwilioFailure(networkFailure(code, syscall), context);
    expect(error.kind).toBe('unreachable');
    expect(error.requestMayHaveReachedTwilio).toBe(true);
  });

  it('every address of the host failing to connect (AggregateError): not sent', () => {
    const attempt = (code: string) => Object.assign(new Error(code), { code, syscall: 'connect' });
    const all = new AggregateError([attempt('ENETUNREACH'), attempt('ETIMEDOUT')], 'connect failed');
    const error = mapTwilioFailure(
      Object.assign(new Error('connect failed', { cause: all }), { isAxiosError: true }),
      context,
    );
    expect(error.kind).toBe('unreachable');
    expect(error.requestMayHaveReachedTwilio).toBe(false);
  });

  it('an answer from Twilio, even a refusal, is never "may have reached"', () => {
    const refused = mapTwilioFailure({ status: 400, code: 21211, message: 'Invalid To' }, context);
    expect(refused.requestMayHaveReachedTwilio).toBe(false);
  });
});
