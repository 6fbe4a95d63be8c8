import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * Whether a `gc` performance entry is a full (mark-compact, "major") collection: only
 * those leave the heap holding just what is live. A scavenge (minor), incremental or
 * weak-callback entry runs while older garbage is still in the heap.
 */
export function isFullCollection(entry: PerformanceEntry | { detail?: unknown }): boolean {
  const detail = 'detail' in entry ? (entry.detail as { kind?: number } | null | undefined) : undefined;
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/**
 * The V8 heap in use just after the latest full (mark-compact) collection: the live
 * heap, without the garbage waiting for the next one. `nodejs_heap_size_used_bytes`
 * is read whenever /metrics is scraped, garbage included, so a heap that merely fills
 * up between full collections looks like a leak there and not here; a leak grows both.
 * Full collections are rare (seconds to minutes apart), so this costs nothing per
 * request. Read per thread: each worker thread has its own heap.
 */
export class HeapAfterFullGc {
  /** Bytes; undefined until the first full collection since start(). */
  bytes: number | undefined;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (isFullCollection(entry)) this.bytes = getHeapStatistics().used_heap_size;
    }
  });

  start(): this {
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
