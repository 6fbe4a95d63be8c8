import { ServiceRole } from '@app/db';
import { describe, expect, it, vi } from 'vitest';
import { ConnectionCache } from '../src/webhooks/index.ts';
import {
  disconnectInDatabase,
  inboundParams,
  inboundPath,
  newMessageSid,
  type SeededConnection,
  seedConnection,
  twilioRequest,
  useWebhookServer,
} from './webhook-helpers.ts';

const server = useWebhookServer();

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A cache whose first `held` loads are each held in flight after their query
 * answered, until released: the moment a NOTIFY can arrive between the read and
 * the answer. `queried[i]` resolves when load i has read; `release[i]()` lets it finish.
 */
async function cacheWithHeldLoads(held = 1) {
  const queried = Array.from({ length: held }, deferred);
  const released = Array.from({ length: held }, deferred);
  let loads = 0;
  const cache = new ConnectionCache(ServiceRole.switchingOn(server.sql), server.vault, {
    afterQuery: async () => {
      const i = loads++;
      if (i < held) {
        queried[i]!.resolve();
        await released[i]!.promise;
      }
    },
  });
  // Entries are cached only while the cache LISTENs for changes.
  await cache.listen();
  return {
    cache,
    queried: queried.map((d) => d.promise),
    release: released.map((d) => () => d.resolve()),
    loads: () => loads,
  };
}

describe('connection cache and a change while a load is in flight', () => {
  it('a lookup after the invalidation starts a fresh load and sees the disconnection', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release } = await cacheWithHeldLoads();
    try {
      const before = cache.get(c.id);
      await queried[0]; // the first load read the row while it was still active
      await disconnectInDatabase(server.sql, c.id);
      cache.invalidate(c.id); // what the NOTIFY does

      const after = cache.get(c.id);
      release[0]!();
      expect((await before)?.id).toBe(c.id);
      expect(await after).toBeNull();
      // The stale answer was not cached either.
      expect(await cache.get(c.id)).toBeNull();
    } finally {
      await cache.close();
    }
  });

  it('the stale load finishing does not drop the fresh one: later lookups join it', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release, loads } = await cacheWithHeldLoads(2);
    try {
      const first = cache.get(c.id);
      await queried[0];
      cache.invalidate(c.id);
      const second = cache.get(c.id);
      await queried[1];
      release[0]!();
      await first;
      const third = cache.get(c.id); // must join the fresh load, not start a third
      release[1]!();
      expect((await second)?.id).toBe(c.id);
      expect((await third)?.id).toBe(c.id);
      expect(loads()).toBe(2);
    } finally {
      await cache.close();
    }
  });

  it('clear() also forgets loads in flight', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release } = await cacheWithHeldLoads();
    try {
      const before = cache.get(c.id);
      await queried[0];
      await disconnectInDatabase(server.sql, c.id);
      cache.clear();
      const after = cache.get(c.id);
      release[0]!();
      await before;
      expect(await after).toBeNull();
    } finally {
      await cache.close();
    }
  });
});

describe('connection cache bounds', () => {
  it('lookups of unknown ids (made before any signature check) never push real connections out', async () => {
    const [a, b] = [
      await seedConnection(server.sql, server.vault),
      await seedConnection(server.sql, server.vault),
    ];
    const cache = new ConnectionCache(ServiceRole.switchingOn(server.sql), server.vault, {
      maxEntries: 2,
      maxMisses: 3,
    });
    await cache.listen();
    try {
      expect((await cache.get(a.id))?.id).toBe(a.id);
      expect((await cache.get(b.id))?.id).toBe(b.id);
      const unknown = Array.from({ length: 10 }, () => crypto.randomUUID());
      for (const id of unknown) expect(await cache.get(id)).toBeNull();
      expect(cache.holds(a.id)).toBe(true);
      expect(cache.holds(b.id)).toBe(true);
      // The misses are bounded on their own: only the latest three are remembered.
      expect(unknown.filter((id) => cache.holds(id))).toEqual(unknown.slice(-3));
    } finally {
      await cache.close();
    }
  });
});

describe('connection cache while its LISTEN connection is down', () => {
  const deliver = (c: SeededConnection) =>
    server.app
      .inject(twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken))
      .then((r) => r.statusCode);

  /** Ends the backends LISTENing for connection changes, as a database restart or an admin would. */
  async function terminateListeners() {
    const ended = await server.sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where query ilike 'listen%twilio_connection_changed%' and pid <> pg_backend_pid()`;
    expect(ended.length).toBeGreaterThan(0);
    const pids = ended.map((r) => r.pid);
    await server.sql`select pg_terminate_backend(pid) from unnest(${pids}::int[]) as pid`;
    await vi.waitFor(
      async () => {
        const [row] = await server.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where pid = any(${pids}::int[])`;
        expect(row?.n).toBe(0);
      },
      { timeout: 5_000, interval: 10 },
    );
    // A backend leaves pg_stat_activity a moment before its socket closes; let the
    // close reach this process (milliseconds), far less than a new LISTEN
    // connection takes to log in on this machine.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it('a connection disconnected while no one listened is refused at once, and caching resumes once LISTEN is back', async () => {
    const c = await seedConnection(server.sql, server.vault);
    expect(await deliver(c)).toBe(200);
    expect(server.app.webhookConnections.holds(c.id)).toBe(true);

    await terminateListeners();
    // The change and its NOTIFY happen while the listening connection is gone: unheard.
    await server.sql.begin(async (tx) => {
      await disconnectInDatabase(tx, c.id);
      await tx`select pg_notify('twilio_connection_changed', ${c.id})`;
    });
    expect(await deliver(c)).toBe(404);

    // LISTEN comes back by itself; from then on connections are cached again.
    const other = await seedConnection(server.sql, server.vault);
    await vi.waitFor(
      async () => {
        expect(await deliver(other)).toBe(200);
        expect(server.app.webhookConnections.holds(other.id)).toBe(true);
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(await deliver(c)).toBe(404);
  });
});

describe('connection cache while nobody listens', () => {
  it('lookups of one id share the load in flight, and its answer is not kept', async () => {
    const c = await seedConnection(server.sql, server.vault);
    let loads = 0;
    const queried = deferred();
    const release = deferred();
    // Never LISTENs: nothing it learns may be served later.
    const cache = new ConnectionCache(ServiceRole.switchingOn(server.sql), server.vault, {
      afterQuery: async () => {
        if (loads++ === 0) {
          queried.resolve();
          await release.promise;
        }
      },
    });
    try {
      const first = cache.get(c.id);
      await queried.promise;
      const second = cache.get(c.id);
      release.resolve();
      expect((await first)?.id).toBe(c.id);
      expect((await second)?.id).toBe(c.id);
      expect(loads).toBe(1);
      expect(cache.holds(c.id)).toBe(false);
      expect((await cache.get(c.id))?.id).toBe(c.id);
      expect(loads).toBe(2);
    } finally {
      await cache.close();
    }
  });
});
