import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { ServiceRole } from '../src/service-role.ts';
import { useTestDatabase } from '../src/vitest.ts';
import { claimDueWebhookEvents } from '../src/webhook-events.ts';
import { seedWorld, type World } from './support/world.ts';

// FIX 3: events are processed after the 200 by workers in several processes. The
// claim they run (FOR UPDATE SKIP LOCKED on due pending events) must hand each
// event to one worker only, and leave events that are not due yet alone.

const claim = async (tx: postgres.TransactionSql, limit: number) =>
  (await claimDueWebhookEvents(tx, limit)).map((e) => e.id);

describe('claiming pending webhook events', () => {
  const database = useTestDatabase();
  // As the worker claims: in a transaction switched to service_role.
  const serviceRole = () => ServiceRole.switchingOn(database.db.$client);
  let world: World;
  let due: string[];

  beforeAll(async () => {
    world = await seedWorld(database.db);
    // The seeded events are pending and due too: mark them processed so only ours count.
    await database.db.execute(
      sql`update twilio_whatsapp_webhook_events set status = 'processed', processed_at = now()`,
    );
    const rows = await database.db.execute<{ id: string }>(sql`
      insert into twilio_whatsapp_webhook_events
        (connection_id, message_sid, event_type, idempotency_key, payload, next_attempt_at)
      select ${world.connA}, 'SM' || g, 'message', 'message:SM' || g, '{}', now() - (g || ' seconds')::interval
      from generate_series(1, 10) g
      returning id`);
    due = rows.map((r) => r.id);
    // A retry scheduled for later, and an event that already failed for good.
    await database.db.execute(sql`
      insert into twilio_whatsapp_webhook_events
        (connection_id, message_sid, event_type, idempotency_key, payload, next_attempt_at, status)
      values (${world.connA}, 'SMlater', 'message', 'message:SMlater', '{}', now() + interval '1 hour', 'pending'),
             (${world.connA}, 'SMfailed', 'message', 'message:SMfailed', '{}', now() - interval '1 hour', 'failed')`);
  });

  it('two workers claiming at once never get the same event, and together get every due one', async () => {
    let firstClaimed: (ids: string[]) => void = () => {};
    const firstHasClaimed = new Promise<string[]>((resolve) => {
      firstClaimed = resolve;
    });
    let releaseFirst: () => void = () => {};
    const firstMayCommit = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });

    const firstWorker = serviceRole().transaction(async (tx) => {
      firstClaimed(await claim(tx, 6));
      await firstMayCommit;
    });
    const first = await firstHasClaimed;
    const second = await serviceRole().transaction((tx) => claim(tx, 100));
    releaseFirst();
    await firstWorker;

    expect(first).toHaveLength(6);
    expect(second).toHaveLength(4);
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    expect([...first, ...second].sort()).toEqual([...due].sort());
  });

  it('the oldest due events are claimed first', async () => {
    const claimed = await serviceRole().transaction((tx) => claim(tx, 3));
    // due[] was inserted 1..10 seconds in the past: the last ones are the oldest.
    expect(claimed).toEqual([due[9], due[8], due[7]]);
  });
});
