import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { childProcessEnv } from '@app/config';
import { freePort } from '@app/db/testing';
import { useTestDatabase } from '@app/db/vitest';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The commit floor of `pnpm bench` (bench/floor-server.mjs): the yardstick for "how fast
// can a durable answer be here". It is only a floor if it keeps the promise the product
// keeps: every 200 follows the commit that holds its delivery, and deliveries that arrive
// during a commit share the next one. Held back by a lock on its table, it must answer
// nothing; released, every request is answered and stored, the later ones in one transaction.
// (The test cluster runs with fsync off: this checks the order, answer after commit; the
// bench refuses to run on a cluster whose fsync or synchronous_commit is off.)

const database = useTestDatabase();
const script = path.resolve(import.meta.dirname, '../bench/floor-server.mjs');
let child: ChildProcess;
let base: string;
let sql: postgres.Sql;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [script], {
    env: childProcessEnv({ DATABASE_URL: database.url, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`floor-server.mjs exited with ${code}`)));
  });
  sql = postgres(database.url, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sql?.end();
});

const deliver = (sid: string) =>
  fetch(`${base}/webhooks/twilio/whatsapp/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ MessageSid: sid, Body: 'hello' }).toString(),
  });

/** A transaction holding the floor's table: its INSERTs wait until the returned release (awaited). */
async function holdTable() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = sql.begin(async (tx) => {
    await tx`lock table floor_deliveries in access exclusive mode`;
    locked();
    await released;
  });
  await Promise.race([isLocked, holder]);
  return async () => {
    release();
    await holder;
  };
}

describe('floor-server.mjs', () => {
  it('answers only after the commit, and groups what arrives meanwhile into one', async () => {
    const sids = Array.from({ length: 12 }, (_, i) => `SMfloor${i}`);
    const answered: string[] = [];
    // The floor's INSERT waits behind a transaction holding its table.
    const release = await holdTable();
    const first = deliver(sids[0]!).then((res) => {
      answered.push(sids[0]!);
      return res;
    });
    await new Promise((r) => setTimeout(r, 100));
    const rest = sids.slice(1).map((sid) =>
      deliver(sid).then((res) => {
        answered.push(sid);
        return res;
      }),
    );
    // The same delivery twice while held: one row, both answered 200.
    const again = deliver(sids[5]!);
    await new Promise((r) => setTimeout(r, 400));
    try {
      expect(answered).toEqual([]);
    } finally {
      // Released whatever the check found: a held lock would hang the file's teardown.
      await release();
    }
    const statuses = (await Promise.all([first, ...rest, again])).map((r) => r.status);
    expect(statuses).toEqual(Array(sids.length + 1).fill(200));

    const rows = await sql<{ sid: string; xid: string }[]>`
      select message_sid as sid, xmin::text as xid from floor_deliveries order by message_sid`;
    expect(rows.map((r) => r.sid).sort()).toEqual([...sids].sort());
    const xidOf = (sid: string) => rows.find((r) => r.sid === sid)!.xid;
    // The first went alone; the eleven that came during its commit share the next one.
    expect(new Set(sids.slice(1).map(xidOf)).size).toBe(1);
    expect(xidOf(sids[0]!)).not.toBe(xidOf(sids[1]!));
  });

  it('answers 503 to every delivery of a batch the database refused, and stores none of them', async () => {
    await sql`alter table floor_deliveries add constraint floor_refuses check (message_sid <> 'SMrefused')`;
    try {
      const before = (await sql<{ n: number }[]>`select count(*)::int as n from floor_deliveries`)[0]!.n;
      // Held, so that the refused delivery and a good one share the next statement.
      const release = await holdTable();
      const first = deliver('SMheld');
      await new Promise((r) => setTimeout(r, 100));
      const shared = [deliver('SMrefused'), deliver('SMbeside')];
      await new Promise((r) => setTimeout(r, 200));
      await release();
      expect((await first).status).toBe(200);
      expect((await Promise.all(shared)).map((r) => r.status)).toEqual([503, 503]);
      const rows = await sql<{ sid: string }[]>`select message_sid as sid from floor_deliveries`;
      expect(rows).toHaveLength(before + 1);
      expect(rows.map((r) => r.sid)).not.toContain('SMbeside');
    } finally {
      await sql`alter table floor_deliveries drop constraint floor_refuses`;
    }
  });

  it('answers 405 to anything but a POST: only a stored delivery gets a 200', async () => {
    const res = await fetch(`${base}/webhooks/twilio/whatsapp/x`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('refuses a delivery without MessageSid with a 400 and stores nothing', async () => {
    const before = (await sql<{ n: number }[]>`select count(*)::int as n from floor_deliveries`)[0]!.n;
    const res = await fetch(`${base}/webhooks/twilio/whatsapp/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Body=hello',
    });
    expect(res.status).toBe(400);
    expect((await sql<{ n: number }[]>`select count(*)::int as n from floor_deliveries`)[0]!.n).toBe(before);
  });
});
