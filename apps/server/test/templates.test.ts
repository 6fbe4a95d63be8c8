import type { WhatsappConversation, WhatsappMessage, WhatsappTemplate } from '@app/contracts';
import { twilioWhatsappMessages, withServiceRole } from '@app/db';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type Account, SENDER, useMessagingWorld } from './messages-world.ts';

const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

const orderReady = {
  friendlyName: 'Order ready',
  language: 'en',
  types: { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready.' } },
  variables: { '1': 'Customer', '2': 'A-0' },
};

describe('templates and the 24-hour window', () => {
  const world = useMessagingWorld();
  let acme: Awaited<ReturnType<typeof world.organization>>;
  let globex: Awaited<ReturnType<typeof world.organization>>;
  let account: Account;
  let connectionId: string;
  let approvedSid: string;
  let customerCounter = 0;

  /** A customer no other test has touched. */
  const freshCustomer = () => `+4477009${String(++customerCounter).padStart(5, '0')}`;

  beforeAll(async () => {
    acme = await world.organization('Acme');
    globex = await world.organization('Globex');
    account = world.twilioAccount(SENDER);
    connectionId = await world.connect(acme.owner.cookie, account, SENDER);
    approvedSid = world.sim.addTemplate(account.sid, orderReady).sid;
  });

  const listTemplates = (cookie: string, input: Record<string, unknown>) =>
    world.trpc<WhatsappTemplate[]>('query', 'whatsapp.templates.list', input, cookie);
  const listConversations = (cookie: string, input: Record<string, unknown>) =>
    world.trpc<WhatsappConversation[]>('query', 'whatsapp.conversations.list', input, cookie);
  const createMessageCalls = () =>
    world.sim.apiRequests().filter((r) => r.operationId === 'CreateMessage').length;
  const contentListCalls = () =>
    world.sim.apiRequests().filter((r) => r.operationId === 'ListContentAndApprovals').length;

  describe('whatsapp.templates.list', () => {
    it('lists every template with its approval, reason, variables and preview; only approved ones are selectable', async () => {
      const other = world.twilioAccount('+14155550101');
      const otherId = await world.connect(acme.owner.cookie, other, '+14155550101');
      const sids: Record<string, string> = {};
      for (const approval of ['approved', 'pending', 'rejected', 'paused', 'unsubmitted'] as const) {
        sids[approval] = world.sim.addTemplate(other.sid, {
          ...orderReady,
          friendlyName: `Order ${approval}`,
          approval,
          ...(approval === 'rejected' ? { rejectionReason: 'TAG_CONTENT_MISMATCH' } : {}),
        }).sid;
      }
      const quickReply = world.sim.addTemplate(other.sid, {
        friendlyName: 'Delivery slot',
        types: {
          'twilio/quick-reply': {
            body: 'Does {{1}} suit you?',
            actions: [
              { title: 'Yes', id: 'yes' },
              { title: 'Another day', id: 'no' },
            ],
          },
          'twilio/text': { body: 'Does {{1}} suit you?' },
        },
        variables: { '1': 'Tuesday 9-12' },
      }).sid;

      const listed = await listTemplates(acme.member.cookie, { connectionId: otherId });
      expect(listed.error).toBeUndefined();
      const bySid = new Map(listed.data!.map((t) => [t.sid, t]));
      expect(listed.data).toHaveLength(6);
      expect(bySid.get(sids.approved!)).toEqual({
        sid: sids.approved,
        friendlyName: 'Order approved',
        language: 'en',
        type: 'twilio/text',
        types: ['twilio/text'],
        approval: 'approved',
        rejectionReason: null,
        category: 'UTILITY',
        variables: [
          { key: '1', sample: 'Customer' },
          { key: '2', sample: 'A-0' },
        ],
        body: 'Hi {{1}}, your order {{2}} is ready.',
        preview: 'Hi Customer, your order A-0 is ready.',
        media: [],
        buttons: [],
        selectable: true,
        unavailableReason: null,
      });
      expect(bySid.get(sids.pending!)).toMatchObject({ approval: 'pending', selectable: false });
      expect(bySid.get(sids.pending!)?.unavailableReason).toMatch(/reviewing/);
      expect(bySid.get(sids.rejected!)).toMatchObject({
        approval: 'rejected',
        rejectionReason: 'TAG_CONTENT_MISMATCH',
        selectable: false,
      });
      expect(bySid.get(sids.rejected!)?.unavailableReason).toMatch(/rejected.*TAG_CONTENT_MISMATCH/);
      expect(bySid.get(sids.paused!)).toMatchObject({ approval: 'paused', selectable: false });
      expect(bySid.get(sids.paused!)?.unavailableReason).toMatch(/paused/);
      expect(bySid.get(sids.unsubmitted!)).toMatchObject({
        approval: 'unsubmitted',
        selectable: false,
        category: null,
      });
      expect(bySid.get(quickReply)).toMatchObject({
        type: 'twilio/quick-reply',
        buttons: ['Yes', 'Another day'],
        preview: 'Does Tuesday 9-12 suit you?',
      });
    });

    it('is read from Twilio at most once a minute, unless refresh asks again', async () => {
      const before = contentListCalls();
      const first = await listTemplates(acme.member.cookie, { connectionId });
      const second = await listTemplates(acme.member.cookie, { connectionId });
      expect(second.data).toEqual(first.data);
      expect(contentListCalls() - before).toBeLessThanOrEqual(1);

      const added = world.sim.addTemplate(account.sid, { ...orderReady, friendlyName: 'Just made' });
      const cached = await listTemplates(acme.member.cookie, { connectionId });
      expect(cached.data?.some((t) => t.sid === added.sid)).toBe(false);
      const refreshed = await listTemplates(acme.member.cookie, { connectionId, refresh: true });
      expect(refreshed.data?.some((t) => t.sid === added.sid)).toBe(true);
    });

    it("another organization's connection is NOT_FOUND, cached or not", async () => {
      await listTemplates(acme.member.cookie, { connectionId });
      const foreign = await listTemplates(globex.owner.cookie, { connectionId });
      expect(foreign.error?.data.code).toBe('NOT_FOUND');
      expect(foreign.data).toBeUndefined();
    });
  });

  describe('whatsapp.messages.send and the window', () => {
    it('inside the window: free text is sent', async () => {
      const customer = freshCustomer();
      await world.customerWrote(connectionId, customer, { storedAt: new Date(Date.now() - 2 * HOUR) });
      const sent = await world.send(acme.member.cookie, { connectionId, to: customer, body: 'On our way' });
      expect(sent.error).toBeUndefined();
      expect(sent.data).toMatchObject({ body: 'On our way', template: null, status: 'queued' });
      await world.eventually(acme.member.cookie, connectionId, sent.data!.id, (m) => m.status === 'read');
    });

    it('outside the window: free text is refused before Twilio is called, saying to use a template', async () => {
      const customer = freshCustomer();
      const dayAgo = new Date(Date.now() - 25 * HOUR);
      await world.customerWrote(connectionId, customer, { storedAt: dayAgo });
      const calls = createMessageCalls();
      const before = (await world.list(acme.member.cookie, { connectionId, customer })).data!.items.length;

      const sent = await world.send(acme.member.cookie, { connectionId, to: customer, body: 'Still there?' });
      expect(sent.error?.data.code).toBe('PRECONDITION_FAILED');
      expect(sent.error?.message).toBe(
        `${customer} last wrote more than 24 hours ago, so WhatsApp only delivers an approved template until they write again. Choose a template to send.`,
      );
      expect(sent.error?.data.fieldErrors?.body?.[0]).toBe(sent.error?.message);
      expect(createMessageCalls()).toBe(calls);
      const after = (await world.list(acme.member.cookie, { connectionId, customer })).data!.items.length;
      expect(after).toBe(before);
    });

    it('a customer who never wrote: free text is refused, an approved template is delivered', async () => {
      const customer = freshCustomer();
      const calls = createMessageCalls();
      const refused = await world.send(acme.member.cookie, { connectionId, to: customer, body: 'Hello!' });
      expect(refused.error?.data.code).toBe('PRECONDITION_FAILED');
      expect(refused.error?.message).toMatch(/never written.*template/);
      expect(createMessageCalls()).toBe(calls);

      const sent = await world.send(acme.member.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-42' } },
      });
      expect(sent.error).toBeUndefined();
      expect(sent.data).toMatchObject({
        direction: 'outbound',
        body: 'Hi Ada, your order B-42 is ready.',
        template: { contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-42' } },
      });
      // What Twilio received: the template and its values, not a body.
      expect(world.sim.message(sent.data!.messageSid!)).toMatchObject({
        contentSid: approvedSid,
        contentVariables: { 1: 'Ada', 2: 'B-42' },
        body: 'Hi Ada, your order B-42 is ready.',
      });
      const [row] = await withServiceRole(world.server.db, (tx) =>
        tx.select().from(twilioWhatsappMessages).where(eq(twilioWhatsappMessages.id, sent.data!.id)),
      );
      expect(row).toMatchObject({
        contentSid: approvedSid,
        contentVariables: { 1: 'Ada', 2: 'B-42' },
        body: 'Hi Ada, your order B-42 is ready.',
        sentBy: acme.member.userId,
      });
      const read = await world.eventually(
        acme.member.cookie,
        connectionId,
        sent.data!.id,
        (m) => m.status === 'read',
      );
      expect(read.template).toEqual({ contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-42' } });
    });

    it('variables missing or extra are refused with a field error naming the variable, before Twilio is called', async () => {
      const customer = freshCustomer();
      const calls = createMessageCalls();
      const missing = await world.send(acme.admin.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: approvedSid, variables: { 1: 'Ada' } },
      });
      expect(missing.error?.data.code).toBe('BAD_REQUEST');
      expect(missing.error?.message).toBe('Fill in {{2}} of “Order ready” (for example “A-0”).');
      expect(missing.error?.data.fieldErrors).toEqual({ 'template.variables.2': [missing.error?.message] });

      const extra = await world.send(acme.admin.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-1', 3: 'surprise' } },
      });
      expect(extra.error?.data.code).toBe('BAD_REQUEST');
      expect(extra.error?.message).toBe('“Order ready” has no variable {{3}}; remove it.');
      expect(extra.error?.data.fieldErrors).toEqual({ 'template.variables.3': [extra.error?.message] });
      expect(createMessageCalls()).toBe(calls);
    });

    it('a template WhatsApp has not approved, or one the account lacks, is refused before Twilio is called', async () => {
      const rejected = world.sim.addTemplate(account.sid, {
        ...orderReady,
        friendlyName: 'Promo',
        approval: 'rejected',
        rejectionReason: 'PROMOTIONAL',
      });
      const foreign = world.sim.addTemplate(world.sim.seedAccount().sid, orderReady);
      const calls = createMessageCalls();
      const customer = freshCustomer();
      const notApproved = await world.send(acme.admin.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: rejected.sid, variables: { 1: 'Ada', 2: 'B-1' } },
      });
      expect(notApproved.error?.data.code).toBe('BAD_REQUEST');
      expect(notApproved.error?.message).toMatch(
        /^“Promo” cannot be sent: WhatsApp rejected this template \(PROMOTIONAL\)/,
      );
      expect(notApproved.error?.data.fieldErrors?.['template.contentSid']).toBeDefined();
      const unknown = await world.send(acme.admin.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: foreign.sid, variables: {} },
      });
      expect(unknown.error?.data.code).toBe('BAD_REQUEST');
      expect(unknown.error?.message).toMatch(/not in the connection's Twilio account/);
      expect(createMessageCalls()).toBe(calls);
    });

    it('a send whose template list was not cached asks Twilio for it once, even when the template cannot be sent', async () => {
      // A connection of its own, so nothing of it is cached yet.
      const other = world.twilioAccount('+14155550109');
      const otherId = await world.connect(acme.owner.cookie, other, '+14155550109');
      const paused = world.sim.addTemplate(other.sid, { ...orderReady, approval: 'paused' });
      const before = contentListCalls();
      const res = await world.send(acme.admin.cookie, {
        connectionId: otherId,
        to: freshCustomer(),
        template: { contentSid: paused.sid, variables: { 1: 'Ada', 2: 'B-1' } },
      });
      expect(res.error?.data.code).toBe('BAD_REQUEST');
      // Twilio's answer of a moment ago is final: no second read to double-check it.
      expect(contentListCalls() - before).toBe(1);
    });

    it('a template send reads its secret once on a template-list cache miss, and its connection for the check and again where the message is queued', async () => {
      // A connection of its own, so its template list is not cached yet.
      const number = '+14155550110';
      const own = world.twilioAccount(number);
      const ownId = await world.connect(acme.owner.cookie, own, number);
      const template = world.sim.addTemplate(own.sid, orderReady);
      // Every statement the server runs about this connection, through postgres.js's own
      // debug hook (set on the pool's options, which its connections read per query).
      const client = world.server.db.$client;
      const statements: string[] = [];
      const debugBefore = client.options.debug;
      client.options.debug = (_connection, query, parameters) => {
        if (parameters.includes(ownId)) statements.push(query);
      };
      let sent: Awaited<ReturnType<typeof world.send>>;
      try {
        // Held at Twilio: no status callback reads the connection meanwhile.
        sent = await world.sendHeld(acme.member.cookie, {
          connectionId: ownId,
          to: freshCustomer(),
          template: { contentSid: template.sid, variables: { 1: 'Ada', 2: 'B-1' } },
        });
      } finally {
        client.options.debug = debugBefore;
      }
      expect(sent.error).toBeUndefined();
      const reads = statements.filter((q) => /from "twilio_whatsapp_connections"/.test(q));
      expect(reads.every((q) => /^\s*select /.test(q))).toBe(true);
      const secretReads = reads.filter((q) => q.includes('"twilio_auth_token_hash"'));
      expect(secretReads).toHaveLength(1);
      // Once for the template check, once in the transaction that queues the message
      // (a pause meanwhile is seen there; the tests below).
      expect(reads.length - secretReads.length).toBe(2);
    });

    describe('a connection paused or disconnected while its template is being checked', () => {
      const PAUSED =
        'Sending from this WhatsApp number is paused. An owner or admin can resume it with "Resume sending" in Settings > WhatsApp.';
      const DISCONNECTED =
        'This WhatsApp number is disconnected: its Auth Token was erased. An owner or admin can connect it again in Settings > WhatsApp; its history continues.';
      const cases = [
        {
          change: 'paused',
          number: '+14155550111',
          expected: PAUSED,
          act: (id: string) =>
            world.trpc(
              'mutation',
              'whatsapp.connections.setActive',
              { id, isActive: false },
              acme.owner.cookie,
            ),
        },
        {
          change: 'disconnected',
          number: '+14155550112',
          expected: DISCONNECTED,
          act: (id: string) =>
            world.trpc('mutation', 'whatsapp.connections.delete', { id }, acme.owner.cookie),
        },
      ] as const;

      it.each(cases)(
        '$change: the send is refused as such, nothing is queued and Twilio is not asked to send',
        async ({ number, expected, act }) => {
          // A connection of its own, so its template list is not cached: the check asks Twilio.
          const own = world.twilioAccount(number);
          const ownId = await world.connect(acme.owner.cookie, own, number);
          const template = world.sim.addTemplate(own.sid, orderReady);
          const listsBefore = contentListCalls();
          const sendsBefore = createMessageCalls();
          // Twilio's Content API takes its time (under the adapter's timeout)...
          world.sim.injectFault({
            operationId: 'ListContentAndApprovals',
            accountSid: own.sid,
            delayMs: 1_000,
          });
          const sending = world.send(acme.member.cookie, {
            connectionId: ownId,
            to: freshCustomer(),
            template: { contentSid: template.sid, variables: { 1: 'Ada', 2: 'B-1' } },
          });
          // ...and while the template is being checked, an owner pauses or disconnects the number.
          await vi.waitFor(() => expect(contentListCalls()).toBeGreaterThan(listsBefore), {
            timeout: 5_000,
            interval: 5,
          });
          const changed = await act(ownId);
          expect(changed.error).toBeUndefined();

          const sent = await sending;
          expect(sent.error?.data.code).toBe('PRECONDITION_FAILED');
          expect(sent.error?.message).toBe(expected);
          // The template list was still being read when the change landed.
          expect(contentListCalls() - listsBefore).toBe(1);
          const queued = await withServiceRole(world.server.db, (tx) =>
            tx.select().from(twilioWhatsappMessages).where(eq(twilioWhatsappMessages.connectionId, ownId)),
          );
          expect(queued).toEqual([]);
          expect(createMessageCalls()).toBe(sendsBefore);
        },
      );
    });

    it('a window that closes between opening the conversation and sending ends as a failed message with 63016, sendable as a template', async () => {
      const customer = freshCustomer();
      // Our history shows them writing 23 h 59 min ago; at Twilio their message is a
      // little older, and the window closed a minute ago.
      await world.customerWrote(connectionId, customer, {
        storedAt: new Date(Date.now() - 24 * HOUR + MINUTE),
        atTwilio: new Date(Date.now() - 24 * HOUR - MINUTE),
      });
      const sent = await world.send(acme.member.cookie, {
        connectionId,
        to: customer,
        body: 'Your table is ready',
      });
      expect(sent.error).toBeUndefined();
      const failed = await world.eventually(
        acme.member.cookie,
        connectionId,
        sent.data!.id,
        (m) => m.status === 'failed',
      );
      expect(failed).toMatchObject({ errorCode: 63016, template: null, body: 'Your table is ready' });
      expect(failed.errorMessage).toBe(
        'The customer had not written in the last 24 hours when WhatsApp received this message (63016), so only an approved template reaches them now. Send it again as a template.',
      );
    });

    it("a member can send a template; another organization's connection is NOT_FOUND and nothing is sent", async () => {
      const customer = freshCustomer();
      const calls = createMessageCalls();
      const foreign = await world.send(globex.member.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-1' } },
      });
      expect(foreign.error?.data.code).toBe('NOT_FOUND');
      expect(createMessageCalls()).toBe(calls);
      const own = await world.send(acme.member.cookie, {
        connectionId,
        to: customer,
        template: { contentSid: approvedSid, variables: { 1: 'Ada', 2: 'B-1' } },
      });
      expect(own.error).toBeUndefined();
    });
  });

  describe('whatsapp.conversations.list and the customer filter', () => {
    it('one row per customer: last message, unread since our last reply, and the window', async () => {
      const number = '+14155550102';
      const acc = world.twilioAccount(number);
      const id = await world.connect(acme.owner.cookie, acc, number);
      const recent = freshCustomer();
      const lapsed = freshCustomer();
      const stranger = freshCustomer();

      await world.customerWrote(id, lapsed, {
        storedAt: new Date(Date.now() - 30 * HOUR),
        body: 'Old question',
      });
      await world.customerWrote(id, recent, {
        storedAt: new Date(Date.now() - 3 * HOUR),
        profileName: 'Ada',
      });
      const reply = await world.send(acme.member.cookie, { connectionId: id, to: recent, body: 'Hi Ada' });
      expect(reply.error).toBeUndefined();
      await world.customerWritesThroughTwilio({ to: number, from: `whatsapp:${recent}`, body: 'Thanks!' });
      const tapped = await world.customerWritesThroughTwilio({
        to: number,
        from: `whatsapp:${recent}`,
        body: 'Yes',
        buttonPayload: 'slot-yes',
        buttonText: 'Yes',
        profileName: 'Ada L.',
      });
      const opener = await world.send(acme.member.cookie, {
        connectionId: id,
        to: stranger,
        template: {
          contentSid: world.sim.addTemplate(acc.sid, orderReady).sid,
          variables: { 1: 'Bo', 2: 'C-3' },
        },
      });
      expect(opener.error).toBeUndefined();

      const listed = await listConversations(acme.member.cookie, { connectionId: id });
      expect(listed.error).toBeUndefined();
      const rows = listed.data!;
      expect(rows.map((r) => r.customer)).toEqual([stranger, recent, lapsed]);

      const [toStranger, toRecent, toLapsed] = rows;
      expect(toStranger).toMatchObject({
        customer: stranger,
        customerName: null,
        lastMessage: { direction: 'outbound', body: 'Hi Bo, your order C-3 is ready.' },
        unreadCount: 0,
        lastInboundAt: null,
        windowExpiresAt: null,
      });
      expect(toRecent).toMatchObject({
        customerName: 'Ada L.',
        lastMessage: { direction: 'inbound', body: 'Yes', preview: 'Yes', status: 'received' },
        unreadCount: 2,
      });
      const lastInbound = Date.parse(toRecent!.lastInboundAt!);
      expect(Date.now() - lastInbound).toBeLessThan(60_000);
      expect(Date.parse(toRecent!.windowExpiresAt!)).toBe(lastInbound + 24 * HOUR);
      expect(toLapsed).toMatchObject({
        unreadCount: 1,
        windowExpiresAt: null,
        lastMessage: { preview: 'Old question' },
      });
      expect(Date.parse(toLapsed!.lastInboundAt!)).toBeLessThan(Date.now() - 29 * HOUR);

      // The customer filter reads one conversation; the tapped button shows as tapped.
      const thread = await world.list(acme.member.cookie, {
        connectionId: id,
        customer: `whatsapp:${recent}`,
      });
      expect(thread.data!.items.map((m: WhatsappMessage) => m.body)).toEqual([
        'Yes',
        'Thanks!',
        'Hi Ada',
        'Hello',
      ]);
      expect(thread.data!.items[0]).toMatchObject({
        messageSid: tapped.messageSid,
        buttonText: 'Yes',
        buttonPayload: 'slot-yes',
      });
      const none = await world.list(acme.member.cookie, { connectionId: id, customer: '+15550009999' });
      expect(none.data!.items).toEqual([]);
    });

    it("another organization's connection is NOT_FOUND", async () => {
      const foreign = await listConversations(globex.admin.cookie, { connectionId });
      expect(foreign.error?.data.code).toBe('NOT_FOUND');
      const thread = await world.list(globex.admin.cookie, { connectionId, customer: '+447700900001' });
      expect(thread.error?.data.code).toBe('NOT_FOUND');
    });
  });

  it("every request to Twilio's Content and Messages APIs followed Twilio's OpenAPI description", () => {
    expect(world.sim.apiRequests().some((r) => r.operationId === 'ListContentAndApprovals')).toBe(true);
    expect(world.sim.oaiViolations()).toEqual([]);
  });
});
