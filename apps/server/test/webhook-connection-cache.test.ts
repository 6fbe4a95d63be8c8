import { ServiceRole } from '@app/db';
import { describe, expect, it } from 'vitest';
import { ConnectionCache } from '../src/webhooks/index.ts';
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
  it('a lookup after the invalidation starts a fresh load and sees the deactivation', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const { cache, queried, release } = await cacheWithHeldLoads();
    try {
      const before = cache.get(c.id);
      await queried[0]; // the first load read the row while it was still active
      await server.sql`update twilio_whatsapp_connections set is_active = false where id = ${c.id}`;
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
      await server.sql`update twilio_whatsapp_connections set is_active = false where id = ${c.id}`;
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
