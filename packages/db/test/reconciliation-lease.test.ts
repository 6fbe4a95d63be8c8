import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  releaseReconciliationLease,
  renewReconciliationLease,
  takeReconciliationLease,
} from '../src/reconciliation.ts';
import { ServiceRole } from '../src/service-role.ts';
import { useTestDatabase } from '../src/vitest.ts';

// One reconciliation per connection at a time, across processes: the lease.

describe('the reconciliation lease', () => {
  const database = useTestDatabase();

  async function connection(): Promise<string> {
    const sql = database.db.$client;
    const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('Lease') returning id`;
    const id = randomUUID();
    const number = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    await sql`
      insert into twilio_whatsapp_connections (id, organization_id, twilio_account_sid, twilio_auth_token_hash, whatsapp_number)
      values (${id}, ${org!.id}, ${`AC${'0'.repeat(31)}1`}, 'x', ${number})`;
    return id;
  }

  it('is taken once, released by its holder, then taken again; the window end is recorded (on a pool logged in as service_role)', async () => {
    const id = await connection();
    // A pool of its own, as the server's: its driver would turn a timestamptz parameter
    // into a millisecond Date, and a lease compared that way would never match.
    const serviceRole = ServiceRole.openPool(database.url);
    try {
      const taken = await serviceRole.run((on) => takeReconciliationLease(on, id, 60_000));
      if (typeof taken === 'string') throw new Error(taken);
      expect(await serviceRole.run((on) => takeReconciliationLease(on, id, 60_000))).toBe('busy');
      const renewed = await serviceRole.run((on) => renewReconciliationLease(on, id, taken.lease, 60_000));
      expect(renewed).toBeDefined();
      // The old lease is not ours any more once renewed.
      expect(await serviceRole.run((on) => releaseReconciliationLease(on, id, taken.lease, null))).toBe(
        false,
      );
      expect(await serviceRole.run((on) => releaseReconciliationLease(on, id, renewed!, taken.nowMs))).toBe(
        true,
      );
      const again = await serviceRole.run((on) => takeReconciliationLease(on, id, 60_000));
      if (typeof again === 'string') throw new Error(again);
      expect(again.lastReconciledMs).toBeCloseTo(taken.nowMs, 0);
      expect(await serviceRole.run((on) => takeReconciliationLease(on, randomUUID(), 60_000))).toBe(
        'missing',
      );
    } finally {
      await serviceRole.close();
    }
  });

  it("a dead holder's lease runs out and another run takes it", async () => {
    const id = await connection();
    const on = database.db.$client;
    const first = await takeReconciliationLease(on, id, 1);
    expect(typeof first).toBe('object');
    await new Promise((r) => setTimeout(r, 20));
    expect(typeof (await takeReconciliationLease(on, id, 60_000))).toBe('object');
  });
});
