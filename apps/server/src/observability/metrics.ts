import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { HeapAfterFullGc } from './heap-after-gc.ts';

/**
 * How often prom-client's event-loop monitor (`perf_hooks.monitorEventLoopDelay`)
 * samples, in ms: its default, made explicit because readers need it. The
 * histogram records the time between the monitor's timer callbacks, which
 * includes this interval: an idle process reports a p50 of about 10 ms, not 0
 * (https://github.com/open-telemetry/opentelemetry-js-contrib/issues/2794; Elastic's
 * Node agent subtracts it the same way). The delay itself is the value minus this.
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

/** The event loop's delay (ms) from a `nodejs_eventloop_lag_*_seconds` value: the sampling interval taken off. */
export function eventLoopDelayMs(lagSeconds: number): number {
  return Math.max(0, lagSeconds * 1000 - EVENT_LOOP_RESOLUTION_MS);
}

/** A gauge's value, read from its source at scrape time; undefined while there is none yet (left out of the scrape). */
type GaugeReader = () => Promise<number | undefined>;

/**
 * The app's Prometheus metrics (prom-client): the process and Node defaults
 * (CPU, memory, event-loop lag, GC) and the series the webhook path, the worker
 * and the Twilio adapter register. One registry per app: tests build several apps
 * in one process, and each process reports its own counts.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly readers = new Map<string, { gauge: Gauge; read: GaugeReader }>();

  /**
   * `processMetrics`: also prom-client's process and Node metrics. They start an
   * event-loop monitor and a GC observer that run for the life of the process, so
   * only the app `pnpm start` runs asks for them, not every app a test builds.
   */
  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) {
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS,
      });
      const heap = new HeapAfterFullGc().start();
      this.gauge(
        'twilio_process_heap_used_after_full_gc_bytes',
        "The main thread's V8 heap in use just after its latest full collection (the live heap)",
        // Absent until the first full collection.
        async () => heap.bytes,
      );
    }
  }

  /**
   * A counter. With `fill`, its values are written at scrape time from totals kept
   * elsewhere (reset, then `fill` adds each total), for hot paths that only count.
   */
  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    fill?: (counter: Counter<L>) => void,
  ): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing instanceof Counter) return existing as Counter<L>;
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(fill
        ? {
            collect(this: Counter<L>) {
              this.reset();
              fill(this);
            },
          }
        : {}),
    });
  }

  /**
   * Counts per bucket (`le`, upper bounds in the metric's unit), _sum and _count, all
   * time. A histogram rather than a summary: an observation is one increment (a
   * summary's sliding quantiles pushed every value into five t-digests, allocating
   * as they went, on the intake's event loop), and buckets add up across processes,
   * where quantiles do not. A name registered before keeps its first buckets.
   */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const existing = this.registry.getSingleMetric(name);
    if (existing instanceof Histogram) return existing;
    return new Histogram({ name, help, buckets: [...buckets], registers: [this.registry] });
  }

  /** A gauge read at scrape time (e.g. pending events from the database). */
  gauge(name: string, help: string, read: GaugeReader) {
    this.readers.set(name, { gauge: new Gauge({ name, help, registers: [] }), read });
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    await Promise.all(
      [...this.readers].map(async ([name, { gauge, read }]) => {
        this.registry.removeSingleMetric(name);
        let value: number | undefined;
        try {
          value = await read();
        } catch {
          // A gauge that cannot be read (database down) is left out of this scrape.
          return;
        }
        if (value === undefined) return;
        gauge.set(value);
        if (!this.registry.getSingleMetric(name)) this.registry.registerMetric(gauge);
      }),
    );
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
