import { constants } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it, vi } from 'vitest';
import { HeapAfterFullGc, isFullCollection } from '../src/observability/heap-after-gc.ts';

// The live-heap figure must come from full collections only: after a scavenge the heap
// still holds the old generation's garbage, so a figure updated then would read like a
// leak (or hide one). app-metrics.test.ts forces a full collection and so cannot tell.

it('counts only full (major, mark-compact) collections', () => {
  expect(isFullCollection({ detail: { kind: constants.NODE_PERFORMANCE_GC_MAJOR } })).toBe(true);
  expect(isFullCollection({ detail: { kind: constants.NODE_PERFORMANCE_GC_MINOR } })).toBe(false);
  expect(isFullCollection({ detail: { kind: constants.NODE_PERFORMANCE_GC_INCREMENTAL } })).toBe(false);
  expect(isFullCollection({ detail: { kind: constants.NODE_PERFORMANCE_GC_WEAKCB } })).toBe(false);
  expect(isFullCollection({ detail: undefined })).toBe(false);
  expect(isFullCollection({})).toBe(false);
});

it('leaves the figure alone on a scavenge and sets it on the next full collection', async () => {
  setFlagsFromString('--expose-gc');
  // gc() is a full collection; gc({ type: 'minor' }) a scavenge (Node 20's V8 reads any
  // other options object as minor too, so the full one is asked for with no argument).
  const gc = runInNewContext('gc') as (options?: { type: 'minor' }) => void;
  // Finish any full collection already under way (V8 completes incremental marking at
  // idle time), so that the only collection during the next wait is the scavenge.
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const heap = new HeapAfterFullGc().start();
  try {
    gc({ type: 'minor' });
    // gc entries reach observers asynchronously; give the scavenge's entry time to arrive.
    await new Promise((r) => setTimeout(r, 100));
    expect(heap.bytes).toBeUndefined();

    gc();
    await vi.waitFor(() => expect(heap.bytes).toBeGreaterThan(1024 * 1024), { timeout: 2_000, interval: 20 });
  } finally {
    heap.stop();
  }
});
