import { describe, expect, it } from 'vitest';
import { ConnectionCache } from '../src/webhooks/connection-cache.ts';
import { seedConnection, useWebhookServer } from './webhook-helpers.ts';

const server = useWebhookServer();

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A cache whose first load is held in flight after its query answered, until
 * released: the moment a NOTIFY can arrive between the read and the answer.
 */
function cacheWithHeldFirstLoad() {
  const queried = deferred();
  const release = deferred();
  let loads = 0;
  const cache = new ConnectionCache(server.sql, server.vault, {
    afterQuery: async () => {
      loads++;
      if (loads === 1) {
        queried.resolve();
        await release.promise;
      }
    },
  });
  return { cache, queried: queried.promise, release: release.resolve, loads: () => loads };
}

describe('connection cache and a change while a load is in flight', () => {
  it('a lookup after the invalidation starts a fresh load and sees the deactivation', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release } = cacheWithHeldFirstLoad();
    try {
      const before = cache.get(c.id);
      await queried; // the first load read the row while it was still active
      await server.sql`update twilio_whatsapp_connections set is_active = false where id = ${c.id}`;
      cache.invalidate(c.id); // what the NOTIFY does

      const after = cache.get(c.id);
      release();
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
    const queried = deferred();
    const releaseFirst = deferred();
    const secondQueried = deferred();
    const releaseSecond = deferred();
    let loads = 0;
    const cache = new ConnectionCache(server.sql, server.vault, {
      afterQuery: async () => {
        loads++;
        if (loads === 1) {
          queried.resolve();
          await releaseFirst.promise;
        } else if (loads === 2) {
          secondQueried.resolve();
          await releaseSecond.promise;
        }
      },
    });
    try {
      const first = cache.get(c.id);
      await queried.promise;
      cache.invalidate(c.id);
      const second = cache.get(c.id);
      await secondQueried.promise;
      releaseFirst.resolve();
      await first;
      const third = cache.get(c.id); // must join the fresh load, not start a third
      releaseSecond.resolve();
      expect((await second)?.id).toBe(c.id);
      expect((await third)?.id).toBe(c.id);
      expect(loads).toBe(2);
    } finally {
      await cache.close();
    }
  });

  it('clear() also forgets loads in flight', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release } = cacheWithHeldFirstLoad();
    try {
      const before = cache.get(c.id);
      await queried;
      await server.sql`update twilio_whatsapp_connections set is_active = false where id = ${c.id}`;
      cache.clear();
      const after = cache.get(c.id);
      release();
      await before;
      expect(await after).toBeNull();
    } finally {
      await cache.close();
    }
  });
});
