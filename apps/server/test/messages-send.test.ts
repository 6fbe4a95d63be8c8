import { twilioWhatsappMessages, withServiceRole } from '@app/db';
import { createTwilioAdapter } from '@app/twilio';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAYBE_DELIVERED } from '../src/messages/send-message.ts';
import { type Account, SANDBOX, SENDER, useMessagingWorld } from './messages-world.ts';

const CUSTOMER = 'whatsapp:+447700900123';

describe('whatsapp.messages.send', () => {
  const world = useMessagingWorld();
  let acme: Awaited<ReturnType<typeof world.organization>>;
  let globex: Awaited<ReturnType<typeof world.organization>>;
  let account: Account;
  let connectionId: string;

  beforeAll(async () => {
    acme = await world.organization('Acme');
    globex = await world.organization('Globex');
    account = world.twilioAccount(SENDER);
    connectionId = await world.connect(acme.owner.cookie, account, SENDER);
    // The customer wrote to us recently: WhatsApp's 24-hour window is open.
    await world.customerWrote(connectionId, CUSTOMER);
  });

  async function storedRow(id: string) {
    const [row] = await withServiceRole(world.server.db, (tx) =>
      tx.select().from(twilioWhatsappMessages).where(eq(twilioWhatsappMessages.id, id)),
    );
    return row;
  }

  it('sends a text: queued with its MessageSid, then sent, delivered and read as the callbacks arrive', async () => {
    const sent = await world.send(acme.admin.cookie, {
      connectionId,
      to: '+44 7700 900123',
      body: '  Your order has shipped.  ',
    });
    expect(sent.error).toBeUndefined();
    const message = sent.data!;
    expect(message).toMatchObject({
      connectionId,
      direction: 'outbound',
      from: `whatsapp:${SENDER}`,
      to: CUSTOMER,
      body: 'Your order has shipped.',
      status: 'queued',
      errorCode: null,
      errorMessage: null,
    });
    expect(message.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect((await storedRow(message.id))?.sentBy).toBe(acme.admin.userId);

    // Twilio received exactly what we meant, with this message's status callback URL.
    const atTwilio = world.sim.message(message.messageSid!);
    expect(atTwilio).toMatchObject({
      from: `whatsapp:${SENDER}`,
      to: CUSTOMER,
      body: 'Your order has shipped.',
    });
    expect(atTwilio?.statusCallback).toBe(
      `${world.server.app.services.publicUrl.origin}/webhooks/twilio/whatsapp/${connectionId}/status`,
    );

    const read = await world.eventually(
      acme.member.cookie,
      connectionId,
      message.id,
      (m) => m.status === 'read',
    );
    expect(read.messageSid).toBe(message.messageSid);
    expect(new Date(read.statusUpdatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(read.createdAt).getTime(),
    );
    expect(world.sim.message(message.messageSid!)?.statusHistory).toEqual([
      'queued',
      'sent',
      'delivered',
      'read',
    ]);
  });

  it('the message is in the conversation, queued, while Twilio is still answering', async () => {
    world.sim.injectFault({ operationId: 'CreateMessage', delayMs: 800 });
    const sending = world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Slow Twilio' });

    const deadline = Date.now() + 5_000;
    let inFlight: Awaited<ReturnType<typeof world.list>>['data'];
    do {
      inFlight = (await world.list(acme.admin.cookie, { connectionId, limit: 1 })).data;
    } while (inFlight?.items[0]?.body !== 'Slow Twilio' && Date.now() < deadline);
    expect(inFlight?.items[0]).toMatchObject({ body: 'Slow Twilio', status: 'queued', messageSid: null });

    const sent = await sending;
    expect(sent.data?.messageSid).toMatch(/^SM/);
    expect((await world.shown(acme.admin.cookie, connectionId, sent.data!.id)).messageSid).toBe(
      sent.data?.messageSid,
    );
  });

  it('sends media with an optional caption', async () => {
    const sent = await world.send(acme.member.cookie, {
      connectionId,
      to: CUSTOMER,
      mediaUrls: ['https://example.com/invoice.pdf'],
    });
    expect(sent.error).toBeUndefined();
    expect(sent.data).toMatchObject({
      body: null,
      media: [{ url: 'https://example.com/invoice.pdf', contentType: null }],
    });
    expect(world.sim.message(sent.data!.messageSid!)?.mediaUrls).toEqual(['https://example.com/invoice.pdf']);
  });

  it('a member may send, and the message is theirs', async () => {
    const sent = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'On my way.' });
    expect(sent.error).toBeUndefined();
    expect((await storedRow(sent.data!.id))?.sentBy).toBe(acme.member.userId);
  });

  it("another organization's connection is NOT_FOUND, and nothing is queued or sent", async () => {
    const before = world.sim.messages(account.sid).length;
    const sent = await world.send(globex.owner.cookie, { connectionId, to: CUSTOMER, body: 'Hijack' });
    expect(sent.error?.data.code).toBe('NOT_FOUND');
    const listed = await world.list(globex.owner.cookie, { connectionId });
    expect(listed.error?.data.code).toBe('NOT_FOUND');
    expect(world.sim.messages(account.sid)).toHaveLength(before);
    const rows = await withServiceRole(world.server.db, (tx) =>
      tx.select().from(twilioWhatsappMessages).where(eq(twilioWhatsappMessages.body, 'Hijack')),
    );
    expect(rows).toEqual([]);
  });

  it('without a session it is UNAUTHORIZED', async () => {
    const sent = await world.trpc('mutation', 'whatsapp.messages.send', {
      connectionId,
      to: CUSTOMER,
      body: 'x',
    });
    expect(sent.error?.data.code).toBe('UNAUTHORIZED');
    const listed = await world.trpc('query', 'whatsapp.messages.list', { connectionId });
    expect(listed.error?.data.code).toBe('UNAUTHORIZED');
  });

  it('refuses an empty message and a non-https media URL before calling Twilio', async () => {
    const before = world.sim.messages(account.sid).length;
    const empty = await world.send(acme.admin.cookie, { connectionId, to: CUSTOMER, body: '   ' });
    expect(empty.error?.data.fieldErrors?.body?.[0]).toBe('Write a message, or attach a media URL.');
    const http = await world.send(acme.admin.cookie, {
      connectionId,
      to: CUSTOMER,
      mediaUrls: ['http://example.com/a.jpg'],
    });
    expect(http.error?.data.fieldErrors?.['mediaUrls.0']?.[0] ?? http.error?.message).toMatch(/https/);
    expect(world.sim.messages(account.sid)).toHaveLength(before);
  });

  it('21211: an invalid recipient is refused on the "to" field and the message is kept as failed', async () => {
    await world.customerWrote(connectionId, '+15005550001', { atTwilio: null });
    world.sim.injectFault({ operationId: 'CreateMessage', status: 400, code: 21211 });
    const sent = await world.send(acme.admin.cookie, { connectionId, to: '+15005550001', body: 'Hello' });
    expect(sent.error?.data.code).toBe('BAD_REQUEST');
    expect(sent.error?.data.fieldErrors?.to?.[0]).toMatch(/not a valid phone number \(21211\)/);

    const [failed] = (await world.list(acme.member.cookie, { connectionId, limit: 1 })).data!.items;
    expect(failed).toMatchObject({
      to: 'whatsapp:+15005550001',
      status: 'failed',
      errorCode: 21211,
      messageSid: null,
    });
    expect(failed?.errorMessage).toMatch(/21211/);
  });

  it('20003: credentials Twilio no longer accepts are refused with what to do, and the message is failed', async () => {
    // Someone rotated the Auth Token in the Twilio Console.
    world.sim.seedAccount({ sid: account.sid, authToken: 'f'.repeat(32) });
    try {
      const sent = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Hello again' });
      expect(sent.error?.data.code).toBe('PRECONDITION_FAILED');
      expect(sent.error?.message).toBe(
        "Twilio rejected this connection's credentials (20003). An owner or admin can update the Auth Token in Settings.",
      );
      const [failed] = (await world.list(acme.member.cookie, { connectionId, limit: 1 })).data!.items;
      expect(failed).toMatchObject({ body: 'Hello again', status: 'failed', errorCode: 20003 });
      expect(failed?.errorMessage).toMatch(/credentials/);
    } finally {
      world.sim.seedAccount({ sid: account.sid, authToken: account.authToken });
      world.sim.openConversation(account.sid, SENDER, CUSTOMER);
    }
  });

  it('Twilio refused the connection (nothing was sent): the message is failed and the person is told to try again', async () => {
    const services = world.server.app.services;
    const simulated = services.twilio;
    // A closed port: the connection is refused before any request is written.
    services.twilio = createTwilioAdapter({ apiBaseUrl: 'http://127.0.0.1:9', timeoutMs: 1_500 });
    try {
      const sent = await world.send(acme.member.cookie, {
        connectionId,
        to: CUSTOMER,
        body: 'Anyone there?',
      });
      expect(sent.error?.data.code).toBe('SERVICE_UNAVAILABLE');
      expect(sent.error?.message).toMatch(/could not be reached/);
      const [failed] = (await world.list(acme.member.cookie, { connectionId, limit: 1 })).data!.items;
      expect(failed).toMatchObject({ body: 'Anyone there?', status: 'failed', errorCode: null });
      expect(failed?.errorMessage).toMatch(/could not be reached/);
    } finally {
      services.twilio = simulated;
    }
  });

  it('Twilio did not answer in time: the message stays queued and the person is told to check before sending again', async () => {
    const before = world.sim.messages(account.sid).length;
    // Twilio takes the message but answers after the client gave up (timeout 1.5 s).
    world.sim.injectFault({ operationId: 'CreateMessage', delayMs: 3_000 });
    const sent = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Are you there?' });
    expect(sent.error?.data.code).toBe('GATEWAY_TIMEOUT');
    expect(sent.error?.message).toBe(MAYBE_DELIVERED);
    expect(sent.error?.message).not.toMatch(/try again/i);
    const [kept] = (await world.list(acme.member.cookie, { connectionId, limit: 1 })).data!.items;
    expect(kept).toMatchObject({
      body: 'Are you there?',
      status: 'queued',
      messageSid: null,
      errorMessage: null,
    });
    // And Twilio did create it: a "failed" here would have invited a duplicate send.
    await vi.waitFor(() => expect(world.sim.messages(account.sid).length).toBe(before + 1), {
      timeout: 5_000,
      interval: 25,
    });
  });

  it('63016: outside the 24-hour window the message is accepted, then fails with the reason', async () => {
    const stranger = 'whatsapp:+33612345678';
    // Our history shows them writing, but Twilio's window is closed (it closed after
    // the conversation was opened, or the message reached us late): Twilio accepts, then fails.
    await world.customerWrote(connectionId, stranger, { atTwilio: null });
    const sent = await world.send(acme.member.cookie, { connectionId, to: stranger, body: 'Special offer!' });
    expect(sent.error).toBeUndefined();
    expect(sent.data?.messageSid).toMatch(/^SM/);

    const failed = await world.eventually(
      acme.member.cookie,
      connectionId,
      sent.data!.id,
      (m) => m.status === 'failed',
    );
    expect(failed.errorCode).toBe(63016);
    expect(failed.errorMessage).toMatch(/24 hours/);
    expect(failed.errorMessage).toMatch(/template/);
  });

  it('63015: a sandbox recipient who has not joined fails with how to join', async () => {
    const sandboxAccount = world.twilioAccount(SANDBOX);
    const sandboxId = await world.connect(acme.owner.cookie, sandboxAccount, SANDBOX);
    await world.customerWrote(sandboxId, CUSTOMER, { atTwilio: null });
    const sent = await world.send(acme.admin.cookie, {
      connectionId: sandboxId,
      to: CUSTOMER,
      body: 'Hi from the sandbox',
    });
    expect(sent.error).toBeUndefined();

    const failed = await world.eventually(
      acme.admin.cookie,
      sandboxId,
      sent.data!.id,
      (m) => m.status === 'failed',
    );
    expect(failed.errorCode).toBe(63015);
    expect(failed.errorMessage).toMatch(/join/);

    // Once they have joined, the same send goes through.
    world.sim.joinSandbox(sandboxAccount.sid, CUSTOMER);
    const again = await world.send(acme.admin.cookie, {
      connectionId: sandboxId,
      to: CUSTOMER,
      body: 'Welcome!',
    });
    await world.eventually(acme.admin.cookie, sandboxId, again.data!.id, (m) => m.status === 'read');
  });

  it('paused: the customer still writes and it shows; sending is refused with how to resume; resumed, it sends', async () => {
    const paused = await world.trpc(
      'mutation',
      'whatsapp.connections.setActive',
      { id: connectionId, isActive: false },
      acme.owner.cookie,
    );
    expect(paused.error).toBeUndefined();
    try {
      const sentToTwilio = () =>
        world.sim.messages(account.sid).filter((m) => m.direction === 'outbound-api').length;
      const before = sentToTwilio();
      // Twilio delivers the customer's message to the paused connection: stored and shown.
      const inbound = await world.sim.deliverInbound({ from: CUSTOMER, to: SENDER, body: 'Still there?' });
      expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
      const listed = await vi.waitFor(
        async () => {
          const page = await world.list(acme.member.cookie, { connectionId, limit: 10 });
          const found = page.data?.items.find((m) => m.messageSid === inbound.messageSid);
          expect(found).toBeDefined();
          return found;
        },
        { timeout: 10_000, interval: 25 },
      );
      expect(listed).toMatchObject({ direction: 'inbound', body: 'Still there?', status: 'received' });

      const sent = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Paused?' });
      expect(sent.error?.data.code).toBe('PRECONDITION_FAILED');
      expect(sent.error?.message).toBe(
        'Sending from this WhatsApp number is paused. An owner or admin can resume it with "Resume sending" in Settings > WhatsApp.',
      );
      // Nothing reached Twilio.
      expect(sentToTwilio()).toBe(before);
    } finally {
      await world.trpc(
        'mutation',
        'whatsapp.connections.setActive',
        { id: connectionId, isActive: true },
        acme.owner.cookie,
      );
    }
    const resumed = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Back!' });
    expect(resumed.error).toBeUndefined();
    expect(resumed.data?.messageSid).toMatch(/^SM/);
  });

  it('a status is never shown going backwards, even when callbacks arrive in reverse order', async () => {
    // Twilio's side moves only when the test says so.
    world.sim.configure({ autoAdvance: false });

    const sent = await world.send(acme.member.cookie, { connectionId, to: CUSTOMER, body: 'Out of order' });
    const { id, messageSid } = sent.data!;

    await world.sim.advanceStatus(messageSid!, 'read');
    await world.statusCallbacksProcessed(connectionId, messageSid!, 1);
    expect((await world.shown(acme.member.cookie, connectionId, id)).status).toBe('read');

    await world.sim.advanceStatus(messageSid!, 'delivered');
    await world.sim.advanceStatus(messageSid!, 'sent');
    await world.sim.advanceStatus(messageSid!, 'queued');
    await world.statusCallbacksProcessed(connectionId, messageSid!, 4);
    expect((await world.shown(acme.member.cookie, connectionId, id)).status).toBe('read');

    // A late failure cannot undo a read either.
    await world.sim.advanceStatus(messageSid!, 'failed', 30008);
    await world.statusCallbacksProcessed(connectionId, messageSid!, 5);
    expect(await world.shown(acme.member.cookie, connectionId, id)).toMatchObject({
      status: 'read',
      errorCode: null,
    });
  });
});
