import type { WhatsappMessage } from '@app/contracts';
import { twilioWhatsappMessages, withServiceRole } from '@app/db';
import { type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, SENDER, useMessagingWorld } from './messages-world.ts';

const CUSTOMER = 'whatsapp:+447700900456';

describe('whatsapp.messages.list', () => {
  const world = useMessagingWorld();
  let acme: Awaited<ReturnType<typeof world.organization>>;
  let organizationId: string;
  let account: Account;
  let connectionId: string;
  let inboundCount = 0;

  beforeAll(async () => {
    acme = await world.organization('Acme');
    organizationId = acme.organizationId;
    account = world.twilioAccount(SENDER);
    connectionId = await world.connect(acme.owner.cookie, account, SENDER);
  });

  /** Customer messages, as the worker stores them; `createdAt` pins their order when given. */
  async function customerWrites(count: number, createdAt?: (i: number) => SQL): Promise<string[]> {
    const rows = Array.from({ length: count }, (_, i) => {
      inboundCount += 1;
      return {
        organizationId,
        connectionId,
        messageSid: `SM${inboundCount.toString(16).padStart(32, '0')}`,
        direction: 'inbound' as const,
        fromNumber: CUSTOMER,
        toNumber: `whatsapp:${SENDER}`,
        body: `message ${inboundCount}`,
        status: 'received' as const,
        ...(createdAt ? { createdAt: createdAt(i) } : {}),
      };
    });
    const inserted = await withServiceRole(world.server.db, (tx) =>
      tx.insert(twilioWhatsappMessages).values(rows).returning({ id: twilioWhatsappMessages.id }),
    );
    return inserted.map((r) => r.id);
  }

  async function allPages(limit: number, between?: () => Promise<unknown>): Promise<WhatsappMessage[]> {
    const seen: WhatsappMessage[] = [];
    let cursor: string | null = null;
    do {
      const page = await world.list(acme.member.cookie, {
        connectionId,
        limit,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.error).toBeUndefined();
      expect(page.data!.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.data!.items);
      cursor = page.data!.nextCursor;
      await between?.();
    } while (cursor);
    return seen;
  }

  it('pages stay stable while new messages arrive: no repeats, no gaps, newest first', async () => {
    // Several rows per transaction share created_at; the id breaks those ties.
    for (let batch = 0; batch < 5; batch++) await customerWrites(5);
    const before = (await world.list(acme.member.cookie, { connectionId, limit: 100 })).data!.items;
    expect(before).toHaveLength(25);

    const arrivedMeanwhile: string[] = [];
    const seen = await allPages(4, async () => {
      arrivedMeanwhile.push(...(await customerWrites(3)));
    });

    const ids = seen.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Exactly the conversation as it was when paging began, in the same order.
    expect(ids).toEqual(before.map((m) => m.id));
    expect(ids.some((id) => arrivedMeanwhile.includes(id))).toBe(false);
    const times = seen.map((m) => new Date(m.createdAt).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('messages microseconds apart are neither skipped nor repeated across pages', async () => {
    // Same millisecond, different microseconds: a cursor rounded to JavaScript's
    // milliseconds would skip or repeat these.
    const ids = await customerWrites(6, (i) => sql`${`2020-01-01T00:00:00.00000${i + 1}Z`}::timestamptz`);

    const old = (await allPages(2)).filter((m) => m.createdAt.startsWith('2020-'));
    expect(old.map((m) => m.id)).toEqual([...ids].reverse());
  });

  it('an unreadable cursor is refused with what to do', async () => {
    const page = await world.list(acme.member.cookie, { connectionId, cursor: 'not-a-cursor' });
    expect(page.error?.data.code).toBe('BAD_REQUEST');
    expect(page.error?.message).toMatch(/Reload the conversation/);
  });

  it('the limit is 1 to 100', async () => {
    const tooMany = await world.list(acme.member.cookie, { connectionId, limit: 101 });
    expect(tooMany.error?.message).toBe('Ask for at most 100 messages per page.');
    const page = await world.list(acme.member.cookie, { connectionId });
    expect(page.data?.items).toHaveLength(30);
  });

  it("an inbound message delivered by Twilio shows in the conversation with the customer's name", async () => {
    const result = await world.sim.deliverInbound({
      from: 'whatsapp:+447700900999',
      to: SENDER,
      body: 'Is my parcel coming today?',
      profileName: 'Ada',
    });
    const inbound = await waitFor(async () => {
      const page = await world.list(acme.member.cookie, { connectionId, limit: 5 });
      return page.data?.items.find((m) => m.messageSid === result.messageSid);
    });
    expect(inbound).toMatchObject({
      direction: 'inbound',
      from: 'whatsapp:+447700900999',
      to: `whatsapp:${SENDER}`,
      body: 'Is my parcel coming today?',
      profileName: 'Ada',
      status: 'received',
    });
  });
});

async function waitFor<T>(read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
