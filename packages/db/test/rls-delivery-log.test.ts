import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../src/client.ts';
import {
  countDeliveriesByVerdict,
  flushDeliveryLog,
  lastRefusedRuns,
  listRefusedDeliveries,
} from '../src/delivery-log.ts';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappDeliveryCounts as counts,
  twilioWhatsappWebhookEvents as events,
  twilioWhatsappRefusedDeliveries as refused,
} from '../src/schema.ts';
import { useTestDatabase } from '../src/vitest.ts';
import {
  type Actor,
  accountSidFor,
  actAs,
  attempt,
  e164,
  INSUFFICIENT_PRIVILEGE,
  seedWorld,
  type World,
} from './support/world.ts';

// 20261201_delivery_log: admins of the organization read their connections' delivery
// counts and refused deliveries; only the service role writes them. The one write an
// admin makes to an event is the retry: a failed event of theirs back to pending,
// signed with their id and the transaction's time. Each case switches role as the
// server does (withUser / withServiceRole).

const database = useTestDatabase();
let world: World;
let failedA: string;
let failedB: string;

const minute = (offsetMinutes: number) => {
  const now = Date.now();
  return now - (now % 60_000) + offsetMinutes * 60_000;
};

beforeAll(async () => {
  world = await seedWorld(database.db);
  await flushDeliveryLog(
    database.db.$client,
    [
      { connectionId: world.connA, minuteMs: minute(0), verdict: 'badSignature', count: 2 },
      { connectionId: world.connB, minuteMs: minute(0), verdict: 'accepted', count: 1 },
    ],
    [
      {
        connectionId: world.connA,
        receivedMs: Date.now(),
        eventType: 'message',
        verdict: 'badSignature',
        sourceIp: '198.51.100.1',
        reason: 'forged',
      },
      {
        connectionId: world.connB,
        receivedMs: Date.now(),
        eventType: 'status',
        verdict: 'missingSignature',
        sourceIp: null,
        reason: 'unsigned',
      },
    ],
  );
  const failed = (connectionId: string) => ({
    id: randomUUID(),
    connectionId,
    messageSid: 'SMfailed',
    eventType: 'message' as const,
    idempotencyKey: `message:${randomUUID()}`,
    payload: {},
    status: 'failed' as const,
    attempts: 5,
    processedAt: new Date(),
  });
  const [a, b] = [failed(world.connA), failed(world.connB)];
  await database.db.insert(events).values([a, b]);
  failedA = a.id;
  failedB = b.id;
});

const selectCounts = (tx: Tx) => tx.select({ id: counts.connectionId }).from(counts);
const selectRefused = (tx: Tx) => tx.select({ id: refused.connectionId }).from(refused);
const insertCountForA = (tx: Tx) =>
  tx
    .insert(counts)
    .values({ connectionId: world.connA, minute: new Date(minute(-5)), verdict: 'accepted', count: 1 })
    .returning({ id: counts.connectionId });
const insertRefusedForA = (tx: Tx) =>
  tx
    .insert(refused)
    .values({
      connectionId: world.connA,
      receivedAt: new Date(),
      eventType: 'message',
      verdict: 'badSignature',
      reason: 'x',
    })
    .returning({ id: refused.connectionId });
const deleteRefusedOfA = (tx: Tx) =>
  tx.delete(refused).where(eq(refused.connectionId, world.connA)).returning({ id: refused.connectionId });

/** The retry as whatsapp.events.retry writes it, by `by`. */
const retry =
  (eventId: () => string, by: (actorId: string | null) => string | null) =>
  (tx: Tx, actorId: string | null) =>
    tx
      .update(events)
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: sql`now()`,
        retriedBy: by(actorId),
        retriedAt: sql`now()`,
      })
      .where(and(eq(events.id, eventId()), eq(events.status, 'failed')))
      .returning({ id: events.id });
const retryOwn = (eventId: () => string) => retry(eventId, (actorId) => actorId);
const rewritePayloadOfFailedA = (tx: Tx) =>
  tx
    .update(events)
    .set({ payload: { Body: 'rewritten' } })
    .where(eq(events.id, failedA))
    .returning({ id: events.id });

type Case = [
  behaviour: string,
  actor: Actor,
  op: (tx: Tx, actorId: string | null) => Promise<{ id: string }[]>,
  expected: () => { rows: string[] } | { error: string },
];
const rows =
  (...ids: (() => string)[]) =>
  () => ({ rows: ids.map((id) => id()).sort() });
const none = () => ({ rows: [] });
const denied = () => ({ error: INSUFFICIENT_PRIVILEGE });
const connA = () => world.connA;
const connB = () => world.connB;

// biome-ignore format: one row per case
const cases: Case[] = [
  ['the owner of A reads A’s counts', 'owner of A', selectCounts, rows(connA)],
  ['an admin of A reads A’s counts', 'admin of A', selectCounts, rows(connA)],
  ['a member of A reads no counts', 'member of A', selectCounts, none],
  ['a user of B reads only B’s counts', 'user of B', selectCounts, rows(connB)],
  ['anon cannot read counts', 'anon', selectCounts, denied],
  ['the service role reads every count', 'service role', selectCounts, rows(connA, connB)],
  ['an admin of A reads A’s refused deliveries', 'admin of A', selectRefused, rows(connA)],
  ['a member of A reads no refused deliveries', 'member of A', selectRefused, none],
  ['a user of B reads only B’s refused deliveries', 'user of B', selectRefused, rows(connB)],
  ['anon cannot read refused deliveries', 'anon', selectRefused, denied],
  ['an admin cannot write a count', 'admin of A', insertCountForA, denied],
  ['an admin cannot write a refused delivery', 'admin of A', insertRefusedForA, denied],
  ['an admin cannot delete refused deliveries', 'admin of A', deleteRefusedOfA, denied],
  ['the service role writes counts', 'service role', insertCountForA, rows(connA)],
  ['an admin of A retries A’s failed event', 'admin of A', retryOwn(() => failedA), rows(() => failedA)],
  ['the owner of A retries A’s failed event', 'owner of A', retryOwn(() => failedA), rows(() => failedA)],
  ['a member of A cannot retry', 'member of A', retryOwn(() => failedA), none],
  ['a user of B cannot retry A’s failed event', 'user of B', retryOwn(() => failedA), none],
  ['an admin of A cannot retry B’s failed event', 'admin of A', retryOwn(() => failedB), none],
  ['anon cannot retry', 'anon', retryOwn(() => failedA), denied],
  ['an admin cannot retry in someone else’s name', 'admin of A', retry(() => failedA, () => world.ownerA), denied],
  ['an admin cannot retry an event that has not failed', 'admin of A', retryOwn(() => world.eventA), none],
  ['an admin cannot rewrite a failed event’s payload', 'admin of A', rewritePayloadOfFailedA, denied],
];

describe('row-level security on the delivery log', () => {
  it.each(cases)('%s', async (_behaviour, actor, op, expected) => {
    expect(await attempt(database.db, world, actor, op)).toEqual(expected());
  });
});

describe('reading the log as a user', () => {
  it('countDeliveriesByVerdict: an admin gets their counts; a member and another organization get zeros', async () => {
    const since = new Date(Date.now() - 60 * 60_000);
    const asAdmin = await actAs(database.db, world, 'admin of A', (tx) =>
      countDeliveriesByVerdict(tx, world.connA, since),
    );
    expect(asAdmin).toMatchObject({ badSignature: 2, accepted: 0, processingFailed: 1 });
    for (const actor of ['member of A', 'user of B'] as const) {
      const seen = await actAs(database.db, world, actor, (tx) =>
        countDeliveriesByVerdict(tx, world.connA, since),
      );
      // Every verdict present and zero (an empty answer would not do).
      expect(seen, actor).toEqual({
        accepted: 0,
        repeated: 0,
        badSignature: 0,
        missingSignature: 0,
        unknownConnection: 0,
        processingFailed: 0,
        recovered: 0,
      });
    }
  });

  it('listRefusedDeliveries shows an admin their refused deliveries only', async () => {
    const list = await actAs(database.db, world, 'admin of A', (tx) =>
      listRefusedDeliveries(tx, world.connA),
    );
    expect(list).toEqual([expect.objectContaining({ verdict: 'badSignature', sourceIp: '198.51.100.1' })]);
    expect(
      await actAs(database.db, world, 'user of B', (tx) => listRefusedDeliveries(tx, world.connA)),
    ).toEqual([]);
  });
});

/** A connection of B's with nothing logged yet, for a test of its own. */
async function newConnectionOfB(): Promise<string> {
  const id = randomUUID();
  await database.db.insert(connections).values({
    id,
    organizationId: world.orgB,
    twilioAccountSid: accountSidFor(),
    twilioAuthTokenHash: 'v1.k1.iv.tag.ciphertext',
    whatsappNumber: e164(),
  });
  return id;
}

/**
 * Every statement sent to PostgreSQL while `fn` runs, through postgres.js's own debug
 * hook (set on the pool's options, which its connections read per query): whatever
 * issues them (drizzle's execute, its query builder, the client itself), each counts.
 */
async function statementsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const client = database.db.$client;
  const statements: string[] = [];
  const debugBefore = client.options.debug;
  client.options.debug = (_connection, query) => {
    statements.push(query);
  };
  try {
    return { result: await fn(), statements };
  } finally {
    client.options.debug = debugBefore;
  }
}

describe('lastRefusedRuns', () => {
  it('gives the first and last bad-signature delivery of the run since the last good one', async () => {
    const id = await newConnectionOfB();
    const at = (offsetMinutes: number, seconds = 0) => minute(offsetMinutes) + seconds * 1000;
    const bad = (ms: number) => ({
      connectionId: id,
      receivedMs: ms,
      eventType: 'message' as const,
      verdict: 'badSignature' as const,
      sourceIp: '198.51.100.2',
      reason: 'forged',
    });
    // Bad at -30, good at -20, then bad from -10 (first) to -2 (last): the run starts at -10.
    await flushDeliveryLog(
      database.db.$client,
      [
        { connectionId: id, minuteMs: at(-30), verdict: 'badSignature', count: 1 },
        { connectionId: id, minuteMs: at(-20), verdict: 'accepted', count: 3 },
        { connectionId: id, minuteMs: at(-10), verdict: 'badSignature', count: 1 },
        { connectionId: id, minuteMs: at(-2), verdict: 'badSignature', count: 1 },
      ],
      [bad(at(-30, 5)), bad(at(-10, 12)), bad(at(-2, 40))],
    );
    const { badSignature: run } = await actAs(database.db, world, 'user of B', (tx) =>
      lastRefusedRuns(tx, id, ['badSignature']),
    );
    expect(run).toMatchObject({ verdict: 'badSignature', sourceIp: '198.51.100.2', ongoing: true });
    expect(run?.firstAt.getTime()).toBe(at(-10, 12));
    expect(run?.lastAt.getTime()).toBe(at(-2, 40));

    // A good delivery after it: the run is over.
    await flushDeliveryLog(
      database.db.$client,
      [{ connectionId: id, minuteMs: at(1), verdict: 'repeated', count: 1 }],
      [],
    );
    const { badSignature: over } = await actAs(database.db, world, 'user of B', (tx) =>
      lastRefusedRuns(tx, id, ['badSignature']),
    );
    expect(over?.ongoing).toBe(false);

    // Nobody else sees it; a verdict with nothing kept is absent.
    expect(
      await actAs(database.db, world, 'admin of A', (tx) => lastRefusedRuns(tx, id, ['badSignature'])),
    ).toEqual({});
    expect(
      await actAs(database.db, world, 'user of B', (tx) => lastRefusedRuns(tx, id, ['unknownConnection'])),
    ).toEqual({});
  });

  it('when the run’s first deliveries were pruned from the list, its first minute comes from the counts', async () => {
    const id = world.connA;
    // A's beforeAll rows: 2 bad signatures this minute, one kept. An older minute of the
    // run whose deliveries are no longer listed:
    await flushDeliveryLog(
      database.db.$client,
      [{ connectionId: id, minuteMs: minute(-45), verdict: 'badSignature', count: 7 }],
      [],
    );
    const { badSignature: run } = await actAs(database.db, world, 'admin of A', (tx) =>
      lastRefusedRuns(tx, id, ['badSignature']),
    );
    expect(run?.firstAt.getTime()).toBe(minute(-45));
  });

  it('reads the last run of each verdict in one statement, each as it reads for that verdict alone', async () => {
    const id = await newConnectionOfB();
    const at = (offsetMinutes: number, seconds = 0) => minute(offsetMinutes) + seconds * 1000;
    const refusal = (verdict: 'badSignature' | 'missingSignature', ms: number) => ({
      connectionId: id,
      receivedMs: ms,
      eventType: 'status' as const,
      verdict,
      sourceIp: verdict === 'badSignature' ? '198.51.100.3' : null,
      reason: verdict,
    });
    // Missing signatures from -40 (its first minute pruned from the list: counted only)
    // to -25, then a good delivery at -20; bad signatures from -10 to -2, still going on.
    await flushDeliveryLog(
      database.db.$client,
      [
        { connectionId: id, minuteMs: at(-40), verdict: 'missingSignature', count: 4 },
        { connectionId: id, minuteMs: at(-25), verdict: 'missingSignature', count: 1 },
        { connectionId: id, minuteMs: at(-20), verdict: 'accepted', count: 2 },
        { connectionId: id, minuteMs: at(-10), verdict: 'badSignature', count: 1 },
        { connectionId: id, minuteMs: at(-2), verdict: 'badSignature', count: 1 },
      ],
      [
        refusal('missingSignature', at(-25, 9)),
        refusal('badSignature', at(-10, 12)),
        refusal('badSignature', at(-2, 40)),
      ],
    );

    const { result: runs, statements } = await actAs(database.db, world, 'user of B', (tx) =>
      statementsDuring(() =>
        lastRefusedRuns(tx, id, ['badSignature', 'missingSignature', 'unknownConnection']),
      ),
    );
    expect(statements).toHaveLength(1);
    expect(runs).toEqual({
      badSignature: {
        verdict: 'badSignature',
        firstAt: new Date(at(-10, 12)),
        lastAt: new Date(at(-2, 40)),
        sourceIp: '198.51.100.3',
        reason: 'badSignature',
        ongoing: true,
      },
      missingSignature: {
        verdict: 'missingSignature',
        firstAt: new Date(at(-40)),
        lastAt: new Date(at(-25, 9)),
        sourceIp: null,
        reason: 'missingSignature',
        ongoing: false,
      },
    });
    // The same runs, verdict by verdict; nothing kept is absent.
    for (const verdict of ['badSignature', 'missingSignature', 'unknownConnection'] as const) {
      const alone = await actAs(database.db, world, 'user of B', (tx) => lastRefusedRuns(tx, id, [verdict]));
      expect(alone).toEqual(verdict === 'unknownConnection' ? {} : { [verdict]: runs[verdict] });
    }
    // No verdict asked: nothing is sent.
    const none = await actAs(database.db, world, 'user of B', (tx) =>
      statementsDuring(() => lastRefusedRuns(tx, id, [])),
    );
    expect(none).toEqual({ result: {}, statements: [] });
    // Another organization's admin sees no run at all.
    expect(
      await actAs(database.db, world, 'admin of A', (tx) =>
        lastRefusedRuns(tx, id, ['badSignature', 'missingSignature']),
      ),
    ).toEqual({});
  });
});

describe('flushDeliveryLog', () => {
  it('adds counts to the minute, keeps refused deliveries, and drops what names no connection', async () => {
    const id = await newConnectionOfB();
    const nobody = randomUUID();
    const refusedOf = (connectionId: string) => ({
      connectionId,
      receivedMs: minute(-3) + 7_000,
      eventType: 'status' as const,
      verdict: 'missingSignature' as const,
      sourceIp: null,
      reason: 'unsigned',
    });
    const countOf = (connectionId: string, count: number) => ({
      connectionId,
      minuteMs: minute(-3),
      verdict: 'accepted' as const,
      count,
    });
    // Counts alone, then refused deliveries alone, then both: each part is written.
    await flushDeliveryLog(database.db.$client, [countOf(id, 2), countOf(nobody, 9)], []);
    await flushDeliveryLog(database.db.$client, [], [refusedOf(id), refusedOf(nobody)]);
    await flushDeliveryLog(database.db.$client, [countOf(id, 3)], [refusedOf(id)]);

    const countRows = await database.db
      .select({ connectionId: counts.connectionId, minute: counts.minute, count: counts.count })
      .from(counts)
      .where(sql`${counts.connectionId} in (${id}, ${nobody})`);
    expect(countRows).toEqual([{ connectionId: id, minute: new Date(minute(-3)), count: 5 }]);
    const refusedRows = await database.db
      .select({ connectionId: refused.connectionId, receivedAt: refused.receivedAt })
      .from(refused)
      .where(sql`${refused.connectionId} in (${id}, ${nobody})`);
    expect(refusedRows).toEqual([
      { connectionId: id, receivedAt: new Date(minute(-3) + 7_000) },
      { connectionId: id, receivedAt: new Date(minute(-3) + 7_000) },
    ]);
  });
});
