import type { ConnectionHealth, ConnectionWriteResult } from '@app/contracts';
import { twilioWhatsappWebhookEvents as events, flushDeliveryLog, withServiceRole } from '@app/db';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectSender, seedTwilioAccount, type TwilioAccountFixture } from './connections-world.ts';
import { type SignedInOrganization, signUpOrganization, TEST_PUBLIC_URL, useTestServer } from './helpers.ts';
import { inboundParams, inboundPath, newMessageSid, twilioRequest } from './webhook-helpers.ts';

describe('whatsapp.connections.health against the Twilio simulator', () => {
  const server = useTestServer(() => ({}), { simulator: true });
  let acme: SignedInOrganization;

  beforeAll(async () => {
    acme = await signUpOrganization(server, 'Acme');
  });

  /** A change made "at Twilio", through the simulator's control API. */
  async function atTwilio(url: string, body: unknown) {
    const res = await server.simulator.app.inject({
      method: 'PATCH',
      url: `/_simulator${url}`,
      payload: body as object,
    });
    expect(res.statusCode).toBe(200);
  }

  async function connected(): Promise<{ account: TwilioAccountFixture; connection: ConnectionWriteResult }> {
    const account = seedTwilioAccount(server.simulator);
    const connection = await connectSender(acme.owner, account);
    expect(connection.webhookConfigured).toBe(true);
    return { account, connection };
  }

  async function healthOf(client = acme.owner, id: string): Promise<ConnectionHealth> {
    const res = await client.query<ConnectionHealth>('whatsapp.connections.health', { id });
    expect(res.error).toBeUndefined();
    return res.data;
  }

  it('a freshly connected sender is healthy: ONLINE, its quality, no drift', async () => {
    const { account, connection } = await connected();
    const health = await healthOf(acme.owner, connection.id);
    expect(health).toMatchObject({
      connectionId: connection.id,
      summary: { level: 'ok' },
      twilio: { reachability: 'ok', message: null },
      sender: {
        kind: 'sender',
        sid: account.senderSid,
        status: 'ONLINE',
        offlineReasons: [],
        qualityRating: 'HIGH',
        messagingLimit: '1K Customers/24hr',
      },
      webhooksChecked: true,
      drift: [],
      expectedWebhooks: connection.webhookUrls,
      lastInboundAt: null,
      deliveries: { accepted: 0, processingFailed: 0, recovered: 0 },
    });
  });

  it("drift is reported after the sender's webhook is changed at Twilio, and Repair clears it", async () => {
    const { account, connection } = await connected();
    await atTwilio(`/accounts/${account.accountSid}/senders/${account.senderSid}`, {
      webhook: { callbackUrl: 'https://someone-else.example/hook' },
    });

    const drifted = await healthOf(acme.owner, connection.id);
    expect(drifted.drift).toEqual([
      {
        field: 'webhook.callback_url',
        expected: connection.webhookUrls.inbound,
        actual: 'https://someone-else.example/hook',
      },
    ]);
    expect(drifted.summary).toEqual({
      level: 'error',
      sentence: "Twilio no longer sends this number's messages to us: Repair.",
      since: null,
    });

    // Repair is configureWebhooks, as the panel's button calls it.
    const repair = await acme.owner.mutation<ConnectionWriteResult>(
      'whatsapp.connections.configureWebhooks',
      {
        id: connection.id,
      },
    );
    expect(repair.error).toBeUndefined();
    expect(repair.data.webhookError).toBeNull();

    const repaired = await healthOf(acme.owner, connection.id);
    expect(repaired.drift).toEqual([]);
    expect(repaired.summary.level).toBe('ok');
    expect(server.simulator.sim.senders.get(account.senderSid)?.webhook.callback_url).toBe(
      connection.webhookUrls.inbound,
    );
  });

  it("an offline sender is reported with Twilio's reason, before anything else", async () => {
    const { account, connection } = await connected();
    await atTwilio(`/accounts/${account.accountSid}/senders/${account.senderSid}`, {
      status: 'OFFLINE',
      qualityRating: 'LOW',
      offlineReasons: [{ code: '63020', message: 'The WhatsApp Business Account was disabled by Meta' }],
      // Drift too: the offline sender still comes first.
      webhook: { statusCallbackUrl: null },
    });
    const health = await healthOf(acme.owner, connection.id);
    expect(health.sender).toMatchObject({
      status: 'OFFLINE',
      qualityRating: 'LOW',
      offlineReasons: [
        { code: '63020', message: 'The WhatsApp Business Account was disabled by Meta', moreInfo: null },
      ],
    });
    expect(health.drift.map((d) => d.field)).toEqual(['webhook.status_callback_url']);
    expect(health.summary.level).toBe('error');
    expect(health.summary.sentence).toMatch(
      /^Twilio reports this WhatsApp sender OFFLINE: The WhatsApp Business Account was disabled by Meta \(63020\)\./,
    );
  });

  it('a sender Twilio has not finished setting up is a warning naming its state', async () => {
    const { account, connection } = await connected();
    await atTwilio(`/accounts/${account.accountSid}/senders/${account.senderSid}`, {
      status: 'PENDING_VERIFICATION',
    });
    const health = await healthOf(acme.owner, connection.id);
    expect(health.summary.level).toBe('warning');
    expect(health.summary.sentence).toContain('(PENDING_VERIFICATION)');
  });

  it('an account Twilio cannot be reached for is part of the answer, not an error', async () => {
    const { account, connection } = await connected();
    server.simulator.sim.injectFault({
      operationId: 'FetchChannelsSender',
      accountSid: account.accountSid,
      status: 503,
      code: 20503,
    });
    const health = await healthOf(acme.owner, connection.id);
    expect(health.twilio.reachability).toBe('unreachable');
    expect(health.twilio.message).toBeTruthy();
    expect(health.webhooksChecked).toBe(false);
    expect(health.sender.status).toBeNull();
    expect(health.summary.level).toBe('warning');
    expect(health.summary.sentence).toMatch(/^Twilio could not be asked about this sender\./);
    expect(JSON.stringify(health)).not.toContain(account.authToken);
  });

  it('a paused connection says so once nothing else is wrong', async () => {
    const { connection } = await connected();
    await acme.owner.mutation('whatsapp.connections.setActive', { id: connection.id, isActive: false });
    const health = await healthOf(acme.owner, connection.id);
    expect(health.summary.level).toBe('warning');
    expect(health.summary.sentence).toMatch(/^Sending from this number is paused/);
  });

  it('the sandbox: no status or webhooks to read, and the panel says what applies', async () => {
    const account = seedTwilioAccount(server.simulator);
    const res = await acme.owner.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
      accountSid: account.accountSid,
      authToken: account.authToken,
      whatsappNumber: TWILIO_SANDBOX_NUMBER,
    });
    expect(res.error).toBeUndefined();
    const requestsBefore = server.simulator.sim.apiRequests().length;
    const health = await healthOf(acme.owner, res.data.id);
    expect(server.simulator.sim.apiRequests().length).toBe(requestsBefore);
    expect(health).toMatchObject({
      sender: { kind: 'sandbox', sid: null, status: null },
      webhooksChecked: false,
      drift: [],
      summary: { level: 'ok' },
    });
    expect(health.sender.note).toMatch(/set in the Twilio Console only/);
  });

  it('a signed inbound delivery is the last inbound, and the last delivery', async () => {
    const { account, connection } = await connected();
    const params = inboundParams(newMessageSid(), {
      AccountSid: account.accountSid,
      To: `whatsapp:${account.senderNumber}`,
    });
    const res = await server.app.inject(
      twilioRequest(inboundPath(connection.id), params, account.authToken, { publicUrl: TEST_PUBLIC_URL }),
    );
    expect(res.statusCode).toBe(200);
    const health = await healthOf(acme.owner, connection.id);
    expect(health.lastInboundAt).not.toBeNull();
    expect(health.lastDeliveryAt).toBe(health.lastInboundAt);
    expect(health.lastStatusCallbackAt).toBeNull();
  });

  it("the counts are the delivery log's, by verdict, for the last 24 hours; failures in processing say so", async () => {
    const { connection } = await connected();
    const day = 24 * 60 * 60 * 1000;
    const minute = (msAgo: number) => Math.floor((Date.now() - msAgo) / 60_000) * 60_000;
    // As the intake tallies them (a scripted mix), one of them too old to count.
    await flushDeliveryLog(
      server.db.$client,
      [
        { connectionId: connection.id, minuteMs: minute(0), verdict: 'accepted', count: 5 },
        { connectionId: connection.id, minuteMs: minute(0), verdict: 'repeated', count: 2 },
        { connectionId: connection.id, minuteMs: minute(0), verdict: 'unknownConnection', count: 1 },
        { connectionId: connection.id, minuteMs: minute(2 * day), verdict: 'accepted', count: 40 },
      ],
      [],
    );
    const event = (n: number, values: Partial<typeof events.$inferInsert>) => ({
      connectionId: connection.id,
      messageSid: newMessageSid(),
      eventType: 'message' as const,
      idempotencyKey: `test-${connection.id}-${n}`,
      payload: {},
      ...values,
    });
    await withServiceRole(server.db, (tx) =>
      tx.insert(events).values([
        event(1, { status: 'failed', processedAt: new Date(), errorMessage: 'boom' }),
        event(2, { source: 'reconciliation', status: 'processed', processedAt: new Date() }),
        event(3, {
          status: 'failed',
          createdAt: new Date(Date.now() - 2 * day),
          processedAt: new Date(Date.now() - 2 * day),
        }),
      ]),
    );
    const health = await healthOf(acme.owner, connection.id);
    expect(health.deliveries).toEqual({
      accepted: 5,
      repeated: 2,
      badSignature: 0,
      missingSignature: 0,
      unknownConnection: 1,
      processingFailed: 1,
      recovered: 1,
    });
    expect(health.summary).toMatchObject({ level: 'warning', since: null });
    expect(health.summary.sentence).toMatch(
      /^1 delivery from Twilio failed in processing in the last 24 hours/,
    );
  });

  it('signature failures still going on are named with the time they began, and what to do', async () => {
    const { connection } = await connected();
    const now = Date.now();
    const firstAt = Math.floor((now - 10 * 60_000) / 60_000) * 60_000 + 5_000;
    const refusal = (receivedMs: number) => ({
      connectionId: connection.id,
      receivedMs,
      eventType: 'message' as const,
      verdict: 'badSignature' as const,
      sourceIp: '203.0.113.9',
      reason: 'X-Twilio-Signature does not match',
    });
    await flushDeliveryLog(
      server.db.$client,
      [
        {
          connectionId: connection.id,
          minuteMs: Math.floor((now - 30 * 60_000) / 60_000) * 60_000,
          verdict: 'accepted',
          count: 3,
        },
        {
          connectionId: connection.id,
          minuteMs: Math.floor(firstAt / 60_000) * 60_000,
          verdict: 'badSignature',
          count: 1,
        },
        {
          connectionId: connection.id,
          minuteMs: Math.floor(now / 60_000) * 60_000,
          verdict: 'badSignature',
          count: 1,
        },
      ],
      [refusal(firstAt), refusal(now)],
    );
    const hhmm = new Date(firstAt).toISOString().slice(11, 16);
    const owner = await healthOf(acme.owner, connection.id);
    expect(owner.deliveries.badSignature).toBe(2);
    expect(owner.summary).toEqual({
      level: 'error',
      sentence: `Twilio's requests have failed the signature check since ${hhmm} UTC: was the Auth Token changed in Twilio? Update it here.`,
      // The first refused delivery of the run is still kept: its exact time.
      since: new Date(firstAt).toISOString(),
    });
    // Nothing of the refused requests but the sentence: no address, no reason text.
    expect(JSON.stringify(owner)).not.toContain('203.0.113.9');

    // A good delivery since: the run is over, and so is the warning.
    await flushDeliveryLog(
      server.db.$client,
      [
        {
          connectionId: connection.id,
          minuteMs: Math.floor(now / 60_000) * 60_000 + 60_000,
          verdict: 'accepted',
          count: 1,
        },
      ],
      [],
    );
    expect((await healthOf(acme.owner, connection.id)).summary.level).toBe('ok');
  });

  describe('who may read and repair', () => {
    it('a member reads health but cannot repair; the sentence tells them whom to ask', async () => {
      const { account, connection } = await connected();
      const member = await acme.addPerson('member');
      await atTwilio(`/accounts/${account.accountSid}/senders/${account.senderSid}`, {
        webhook: { callbackUrl: 'https://someone-else.example/hook' },
      });
      const health = await healthOf(member, connection.id);
      expect(health.drift).toHaveLength(1);
      expect(health.summary.sentence).toBe(
        "Twilio no longer sends this number's messages to us: ask an owner or admin to Repair it.",
      );
      const repair = await member.mutation('whatsapp.connections.configureWebhooks', { id: connection.id });
      expect(repair.error?.code).toBe('FORBIDDEN');
      expect(server.simulator.sim.senders.get(account.senderSid)?.webhook.callback_url).toBe(
        'https://someone-else.example/hook',
      );
    });

    it("an admin (not the owner) is offered Repair; a member is refused it with adminProcedure's sentence", async () => {
      const { account, connection } = await connected();
      const admin = await acme.addPerson('admin');
      const member = await acme.addPerson('member');
      await atTwilio(`/accounts/${account.accountSid}/senders/${account.senderSid}`, {
        webhook: { callbackUrl: 'https://someone-else.example/hook' },
      });
      expect((await healthOf(admin, connection.id)).summary.sentence).toBe(
        "Twilio no longer sends this number's messages to us: Repair.",
      );
      const refused = await member.mutation('whatsapp.connections.configureWebhooks', { id: connection.id });
      expect(refused.error).toMatchObject({
        code: 'FORBIDDEN',
        message: 'Only owners and admins of your organization can do this. Ask one of them.',
      });
      const repaired = await admin.mutation('whatsapp.connections.configureWebhooks', { id: connection.id });
      expect(repaired.error).toBeUndefined();
    });

    it("another organization's connection is NOT_FOUND, for members and owners alike", async () => {
      const { connection } = await connected();
      const rival = await signUpOrganization(server, 'Rival');
      const rivalMember = await rival.addPerson('member');
      for (const client of [rival.owner, rivalMember]) {
        const res = await client.query('whatsapp.connections.health', { id: connection.id });
        expect(res.error?.code).toBe('NOT_FOUND');
        expect(JSON.stringify(res.raw.json())).not.toContain(connection.whatsappNumber);
      }
    });

    it('signed out is UNAUTHORIZED; a malformed id says what is wrong', async () => {
      const { TestClient } = await import('./helpers.ts');
      const anonymous = new TestClient(() => server.app);
      const res = await anonymous.query('whatsapp.connections.health', { id: crypto.randomUUID() });
      expect(res.error?.code).toBe('UNAUTHORIZED');
      const bad = await acme.owner.query('whatsapp.connections.health', { id: 'nope' });
      expect(bad.error?.code).toBe('BAD_REQUEST');
      expect(bad.error?.message).toContain('That connection id is not valid.');
    });
  });
});
