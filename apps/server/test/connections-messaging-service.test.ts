import type {
  ConnectionHealth,
  ConnectionWriteResult,
  ConnectProgress,
  DisconnectResult,
} from '@app/contracts';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappConnectProgress,
  twilioWhatsappMessages,
  withServiceRole,
  withUser,
} from '@app/db';
import { freePort } from '@app/db/testing';
import { serviceWithoutWhatsappSender } from '@app/twilio';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { otherToken, uniqueNumber } from './connections-world.ts';
import { type SignedInOrganization, signUpOrganization, type TestClient, useTestServer } from './helpers.ts';
import { drainWorker } from './webhook-helpers.ts';

// The simulator delivers Twilio's webhooks over real HTTP to this server, whose
// PUBLIC_URL is where it listens: signatures are checked as in production.
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const CUSTOMER = 'whatsapp:+447700900123';
const OTHER_CUSTOMER = 'whatsapp:+447700900456';
const EARLIER = {
  inboundRequestUrl: 'https://earlier.example.com/sms/in',
  statusCallback: 'https://earlier.example.com/sms/status',
};

describe('connecting a Messaging Service', () => {
  const server = useTestServer(() => ({ publicUrl: new URL(origin) }), { simulator: true });
  // Their clients send this server's origin on mutations.
  let acmeOrganization: SignedInOrganization;
  let acme: TestClient;
  let globex: TestClient;

  beforeAll(async () => {
    await server.app.listen({ port, host: '127.0.0.1' });
    acmeOrganization = await signUpOrganization(server, 'Pool Co', { origin });
    acme = acmeOrganization.owner;
    globex = (await signUpOrganization(server, 'Other Co', { origin })).owner;
  });

  /** An account with a service holding two WhatsApp senders, pointed at another system before. */
  function accountWithService() {
    const sim = server.simulator.sim;
    const account = sim.seedAccount();
    const numbers = [uniqueNumber(), uniqueNumber()] as const;
    const service = sim.addMessagingService(account.sid, {
      friendlyName: 'Support pool',
      senders: [...numbers],
      ...EARLIER,
      useInboundWebhookOnNumber: true,
    });
    return { account, numbers, service };
  }

  const connect = (client: TestClient, input: Record<string, unknown>) =>
    client.mutation<ConnectionWriteResult>('whatsapp.connections.create', input);
  const progressOf = (client: TestClient, attemptId: string) =>
    client.query<ConnectProgress>('whatsapp.connections.connectProgress', { attemptId });

  it('verifies and configures the service, stores inbound to two of its senders, and sends with MessagingServiceSid', async () => {
    const { account, numbers, service } = accountWithService();
    server.simulator.sim.clearOaiViolations();
    const res = await connect(acme, {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      // Pasted in capitals: the contract normalizes it.
      messagingServiceSid: `MG${service.sid.slice(2).toUpperCase()}`,
      friendlyName: 'Pool',
    });
    expect(res.error).toBeUndefined();
    const connection = res.data;
    expect(connection).toMatchObject({
      senderKind: 'messaging_service',
      messagingService: { sid: service.sid, senders: [...numbers] },
      whatsappNumber: numbers[0],
      webhookConfigured: true,
      webhookError: null,
    });

    // Twilio's side: every sender's inbound now comes to us, and statuses too.
    expect(server.simulator.sim.services.get(service.sid)).toMatchObject({
      inboundRequestUrl: connection.webhookUrls.inbound,
      statusCallback: connection.webhookUrls.status,
      useInboundWebhookOnNumber: false,
    });

    for (const [to, from] of [
      [numbers[0], CUSTOMER],
      [numbers[1], OTHER_CUSTOMER],
    ] as const) {
      const delivered = await server.simulator.sim.deliverInbound({ to, from, body: `to ${to}` });
      expect(delivered.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
    }
    // The server's own worker may be applying them as well: wait until both are stored.
    const inboundRows = () =>
      withServiceRole(server.db, (tx) =>
        tx
          .select({ to: twilioWhatsappMessages.toNumber, body: twilioWhatsappMessages.body })
          .from(twilioWhatsappMessages)
          .where(eq(twilioWhatsappMessages.connectionId, connection.id)),
      );
    const inbound = await vi.waitFor(
      async () => {
        await drainWorker(server.app);
        const rows = await inboundRows();
        expect(rows).toHaveLength(2);
        return rows;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(inbound).toEqual(
      expect.arrayContaining([
        { to: `whatsapp:${numbers[0]}`, body: `to ${numbers[0]}` },
        { to: `whatsapp:${numbers[1]}`, body: `to ${numbers[1]}` },
      ]),
    );

    // The reply goes through the service; Twilio picks the sender the customer wrote to.
    const sent = await acme.mutation<{ fromNumber: string }>('whatsapp.messages.send', {
      connectionId: connection.id,
      to: OTHER_CUSTOMER,
      body: 'Thanks, on it',
    });
    expect(sent.error).toBeUndefined();
    const atTwilio = server.simulator.sim.messages(account.sid).filter((m) => m.direction !== 'inbound');
    expect(atTwilio.map((m) => [m.messagingServiceSid, m.from, m.to])).toEqual([
      [service.sid, `whatsapp:${numbers[1]}`, OTHER_CUSTOMER],
    ]);
    const [stored] = await withServiceRole(server.db, (tx) =>
      tx
        .select({ from: twilioWhatsappMessages.fromNumber })
        .from(twilioWhatsappMessages)
        .where(eq(twilioWhatsappMessages.messageSid, atTwilio[0]!.sid)),
    );
    expect(stored?.from).toBe(`whatsapp:${numbers[1]}`);
    // Every request the adapter made matched Twilio's OpenAPI description.
    expect(server.simulator.sim.oaiViolations()).toEqual([]);
  });

  it("disconnect puts the service's earlier InboundRequestUrl, StatusCallback and UseInboundWebhookOnNumber back", async () => {
    const { account, service } = accountWithService();
    server.simulator.sim.clearOaiViolations();
    const { data: connection } = await connect(acme, {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
    });
    const res = await acme.mutation<DisconnectResult>('whatsapp.connections.delete', { id: connection.id });
    expect(res.data).toMatchObject({ webhooksRestored: true });
    expect(res.data.webhookNote).toContain(`Messaging Service ${service.sid}`);
    expect(server.simulator.sim.services.get(service.sid)).toMatchObject({
      ...EARLIER,
      useInboundWebhookOnNumber: true,
    });
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, connection.id)),
    );
    expect(row).toMatchObject({ twilioAuthTokenHash: null, twilioWebhooksBefore: null });
    expect(server.simulator.sim.oaiViolations()).toEqual([]);
  });

  it('a service with no WhatsApp sender is refused with a sentence, and nothing is stored', async () => {
    const sim = server.simulator.sim;
    const account = sim.seedAccount();
    // A plain phone number in the pool is no WhatsApp sender.
    const number = sim.addIncomingNumber(account.sid, uniqueNumber());
    const service = sim.addMessagingService(account.sid, { phoneNumbers: [number.sid] });
    const attemptId = crypto.randomUUID();
    const res = await connect(acme, {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
      attemptId,
    });
    expect(res.error?.message).toBe(serviceWithoutWhatsappSender(service.sid, account.sid));
    expect(res.error?.message).toContain('add a WhatsApp sender to its Sender Pool');
    expect(res.error?.fieldErrors).toEqual({ messagingServiceSid: [res.error?.message] });
    const rows = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.messagingServiceSid, service.sid)),
    );
    expect(rows).toEqual([]);
    // The progress shows where it stopped.
    expect((await progressOf(acme, attemptId)).data.steps).toEqual([
      { step: 'verify_credentials', state: 'done', message: null },
      { step: 'find_sender', state: 'failed', message: res.error?.message },
    ]);
  });

  it("another account's service is not found, and says where to copy the SID", async () => {
    const theirs = accountWithService();
    const mine = server.simulator.sim.seedAccount();
    const res = await connect(acme, {
      kind: 'messaging_service',
      accountSid: mine.sid,
      authToken: mine.authToken,
      messagingServiceSid: theirs.service.sid,
    });
    expect(res.error?.message).toBe(
      `Account ${mine.sid} has no Messaging Service ${theirs.service.sid}. Copy the SID (it starts with MG) from Messaging > Services in the Twilio Console of that account.`,
    );
    expect(res.error?.fieldErrors).toHaveProperty('messagingServiceSid');
  });

  it('a malformed SID is refused before Twilio is called', async () => {
    const before = server.simulator.sim.apiRequests().length;
    const res = await connect(acme, {
      kind: 'messaging_service',
      accountSid: `AC${'0'.repeat(32)}`,
      authToken: '0'.repeat(32),
      messagingServiceSid: 'PN123',
    });
    expect(res.error?.code).toBe('BAD_REQUEST');
    expect(res.error?.fieldErrors?.messagingServiceSid?.[0]).toContain('"MG" followed by 32');
    expect(server.simulator.sim.apiRequests()).toHaveLength(before);
  });

  it("health compares the service's webhooks with ours, and Repair points them back", async () => {
    const { account, service } = accountWithService();
    const created = await connect(acme, {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
      friendlyName: 'Pool health',
    });
    expect(created.error).toBeUndefined();
    const id = created.data.id;
    const healthOf = async () => {
      const res = await acme.query<ConnectionHealth>('whatsapp.connections.health', { id });
      if (res.error) throw new Error(res.error.message);
      return res.data;
    };
    const healthy = await healthOf();
    expect(healthy.twilio.reachability).toBe('ok');
    expect(healthy.sender.kind).toBe('messaging_service');
    expect(healthy.drift).toEqual([]);
    expect(healthy.summary.level).toBe('ok');

    // Someone turns the senders' own webhooks back on and moves the service's inbound URL.
    const atTwilio = server.simulator.sim.services.get(service.sid);
    if (!atTwilio) throw new Error('service gone');
    atTwilio.inboundRequestUrl = 'https://elsewhere.example.com/in';
    atTwilio.useInboundWebhookOnNumber = true;
    const drifted = await healthOf();
    expect(drifted.drift).toEqual([
      {
        field: 'InboundRequestUrl',
        expected: created.data.webhookUrls.inbound,
        actual: 'https://elsewhere.example.com/in',
      },
      { field: 'UseInboundWebhookOnNumber', expected: 'false', actual: 'true' },
    ]);
    expect(drifted.summary.level).toBe('error');

    const repair = await acme.mutation<ConnectionWriteResult>('whatsapp.connections.configureWebhooks', {
      id,
    });
    expect(repair.error).toBeUndefined();
    const repaired = await healthOf();
    expect(repaired.drift).toEqual([]);
    expect(repaired.summary.level).toBe('ok');
  });

  it('a disconnected service connected again as its first sender alone becomes a number connection (same row, history kept)', async () => {
    const { account, numbers, service } = accountWithService();
    const { data: first } = await connect(acme, {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
    });
    expect(
      (await acme.mutation<DisconnectResult>('whatsapp.connections.delete', { id: first.id })).error,
    ).toBeUndefined();
    const again = await connect(acme, {
      accountSid: account.sid,
      authToken: account.authToken,
      whatsappNumber: numbers[0],
    });
    expect(again.error).toBeUndefined();
    expect(again.data.id).toBe(first.id);
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, first.id)),
    );
    expect(row).toMatchObject({
      whatsappNumber: numbers[0],
      messagingServiceSid: null,
      messagingServiceSenders: null,
      disconnectedAt: null,
    });
  });

  it("a disconnected number that is a service's first sender is taken back when the service is connected (same row, history kept)", async () => {
    const { account, numbers, service } = accountWithService();
    const { data: number } = await connect(acme, {
      accountSid: account.sid,
      authToken: account.authToken,
      whatsappNumber: numbers[0],
    });
    // A message of the number's conversation, stored before it is disconnected.
    const messageSid = 'SM0000000000000000000000000000b001';
    await withServiceRole(server.db, (tx) =>
      tx.insert(twilioWhatsappMessages).values({
        organizationId: acmeOrganization.organizationId,
        connectionId: number.id,
        messageSid,
        direction: 'inbound',
        fromNumber: CUSTOMER,
        toNumber: `whatsapp:${numbers[0]}`,
        body: 'Hello before the service',
        status: 'received',
      }),
    );
    expect(
      (await acme.mutation<DisconnectResult>('whatsapp.connections.delete', { id: number.id }, { origin }))
        .error,
    ).toBeUndefined();
    const input = {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
    };
    // Another organization may not take it: that history is this one's.
    expect((await connect(globex, input)).error?.message).toBe(
      `${numbers[0]} was connected to another organization, which keeps its message history. It can be connected here once an owner there deletes that history.`,
    );
    const again = await connect(acme, input);
    expect(again.error).toBeUndefined();
    expect(again.data.id).toBe(number.id);
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, number.id)),
    );
    expect(row).toMatchObject({
      whatsappNumber: numbers[0],
      messagingServiceSid: service.sid,
      messagingServiceSenders: [...numbers],
      disconnectedAt: null,
      isActive: true,
    });
    // Its history is kept: the message is still the same row's, and the organization reads it there.
    const kept = await withServiceRole(server.db, (tx) =>
      tx
        .select({ connectionId: twilioWhatsappMessages.connectionId, body: twilioWhatsappMessages.body })
        .from(twilioWhatsappMessages)
        .where(eq(twilioWhatsappMessages.messageSid, messageSid)),
    );
    expect(kept).toEqual([{ connectionId: number.id, body: 'Hello before the service' }]);
    const conversation = await acme.query<{ items: { messageSid: string; body: string }[] }>(
      'whatsapp.messages.list',
      { connectionId: number.id },
    );
    expect(conversation.error).toBeUndefined();
    expect(conversation.data.items).toEqual([
      expect.objectContaining({ messageSid, body: 'Hello before the service' }),
    ]);
  });

  it('the same service cannot be connected twice', async () => {
    const { account, service } = accountWithService();
    const input = {
      kind: 'messaging_service',
      accountSid: account.sid,
      authToken: account.authToken,
      messagingServiceSid: service.sid,
    };
    expect((await connect(acme, input)).error).toBeUndefined();
    expect((await connect(acme, input)).error?.message).toBe(
      `Messaging Service ${service.sid} is already connected to your organization.`,
    );
    expect((await connect(globex, input)).error?.message).toBe(
      `Messaging Service ${service.sid} is already connected to another organization.`,
    );
  });

  describe('connect progress', () => {
    it('records each step as the server finishes it, in order', async () => {
      const { account, service } = accountWithService();
      const attemptId = crypto.randomUUID();
      const res = await connect(acme, {
        kind: 'messaging_service',
        accountSid: account.sid,
        authToken: account.authToken,
        messagingServiceSid: service.sid,
        attemptId,
      });
      expect(res.error).toBeUndefined();
      expect((await progressOf(acme, attemptId)).data.steps).toEqual([
        { step: 'verify_credentials', state: 'done', message: null },
        { step: 'find_sender', state: 'done', message: null },
        { step: 'save', state: 'done', message: null },
        { step: 'configure_webhooks', state: 'done', message: null },
      ]);
    });

    it('a step Twilio has not answered yet stays running; the ones before it are done', async () => {
      const { account, service } = accountWithService();
      const attemptId = crypto.randomUUID();
      server.simulator.sim.injectFault({
        operationId: 'ListChannelSender',
        accountSid: account.sid,
        delayMs: 1_500,
      });
      const pending = connect(acme, {
        kind: 'messaging_service',
        accountSid: account.sid,
        authToken: account.authToken,
        messagingServiceSid: service.sid,
        attemptId,
      });
      let steps: ConnectProgress['steps'] = [];
      for (let i = 0; i < 100; i++) {
        steps = (await progressOf(acme, attemptId)).data.steps;
        if (steps.some((s) => s.step === 'find_sender')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(steps).toEqual([
        { step: 'verify_credentials', state: 'done', message: null },
        { step: 'find_sender', state: 'running', message: null },
      ]);
      expect((await pending).error).toBeUndefined();
      expect((await progressOf(acme, attemptId)).data.steps.map((s) => s.state)).toEqual([
        'done',
        'done',
        'done',
        'done',
      ]);
    });

    it('rejected credentials fail at the first step, and nothing after it starts', async () => {
      const { account, service } = accountWithService();
      const attemptId = crypto.randomUUID();
      const res = await connect(acme, {
        kind: 'messaging_service',
        accountSid: account.sid,
        authToken: otherToken(account.authToken),
        messagingServiceSid: service.sid,
        attemptId,
      });
      const rejected = 'Twilio rejected these credentials (20003). Check the Account SID and Auth Token.';
      expect(res.error).toMatchObject({ code: 'BAD_REQUEST', message: rejected });
      expect((await progressOf(acme, attemptId)).data.steps).toEqual([
        { step: 'verify_credentials', state: 'failed', message: rejected },
      ]);
    });

    it("another organization's admin, and another admin of the same one, see none of an attempt's steps; a member may not ask", async () => {
      const { account, service } = accountWithService();
      const attemptId = crypto.randomUUID();
      await connect(acme, {
        kind: 'messaging_service',
        accountSid: account.sid,
        authToken: account.authToken,
        messagingServiceSid: service.sid,
        attemptId,
      });
      expect((await progressOf(acme, attemptId)).data.steps).toHaveLength(4);
      expect((await progressOf(globex, attemptId)).data.steps).toEqual([]);
      const admin = await acmeOrganization.addPersonWithId('admin');
      expect((await progressOf(admin.client, attemptId)).data.steps).toEqual([]);
      const member = await acmeOrganization.addPersonWithId('member');
      expect((await progressOf(member.client, attemptId)).error?.code).toBe('FORBIDDEN');

      // In the database, as that other admin: row-level security hides the rows.
      const seen = await withUser(
        server.db,
        { sub: admin.userId, role: 'authenticated', email: admin.email },
        (tx) =>
          tx
            .select()
            .from(twilioWhatsappConnectProgress)
            .where(eq(twilioWhatsappConnectProgress.attemptId, attemptId)),
      );
      expect(seen).toEqual([]);

      // The same id chosen by another person starts their own attempt, never touching this one.
      const theirs = accountWithService();
      await connect(globex, {
        kind: 'messaging_service',
        accountSid: theirs.account.sid,
        authToken: otherToken(theirs.account.authToken),
        messagingServiceSid: theirs.service.sid,
        attemptId,
      });
      expect((await progressOf(globex, attemptId)).data.steps.map((s) => s.state)).toEqual(['failed']);
      expect((await progressOf(acme, attemptId)).data.steps.map((s) => s.state)).toEqual([
        'done',
        'done',
        'done',
        'done',
      ]);
    });
  });
});
