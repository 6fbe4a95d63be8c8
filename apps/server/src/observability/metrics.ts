/**
 * A small Prometheus text registry: counters and gauges with labels. Enough for
 * /metrics without a dependency; each process reports its own counts.
 */
type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1) {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** An incrementer for fixed labels, for hot paths (the label key is built once). */
  with(labels: Labels): (by?: number) => void {
    const k = labelKey(labels);
    return (by = 1) => {
      this.values.set(k, (this.values.get(k) ?? 0) + by);
    };
  }
  render() {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

/**
 * A summary over the most recent observations (a sliding window, not all time):
 * quantiles 0.5, 0.9 and 0.99, plus _sum and _count over all observations.
 */
class Summary {
  private readonly window: number[] = [];
  private next = 0;
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly size = 2048,
  ) {}
  observe(value: number) {
    if (this.window.length < this.size) this.window.push(value);
    else this.window[this.next] = value;
    this.next = (this.next + 1) % this.size;
    this.sum += value;
    this.count++;
  }
  render() {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} summary`];
    const sorted = [...this.window].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const v = sorted.length
        ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
        : Number.NaN;
      lines.push(`${this.name}{quantile="${q}"} ${v}`);
    }
    lines.push(`${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

type GaugeReader = () => Promise<Array<{ labels?: Labels; value: number }>>;

export class Metrics {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, { help: string; read: GaugeReader }>();
  private readonly summaries = new Map<string, Summary>();

  counter(name: string, help: string): Counter {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter(name, help);
      this.counters.set(name, c);
    }
    return c;
  }

  summary(name: string, help: string): Summary {
    let s = this.summaries.get(name);
    if (!s) {
      s = new Summary(name, help);
      this.summaries.set(name, s);
    }
    return s;
  }

  /** A gauge read at scrape time (e.g. pending events from the database). */
  gauge(name: string, help: string, read: GaugeReader) {
    this.gauges.set(name, { help, read });
  }

  async render(): Promise<string> {
    const parts = [...this.counters.values(), ...this.summaries.values()].map((c) => c.render());
    for (const [name, g] of this.gauges) {
      const lines = [`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`];
      try {
        for (const s of await g.read()) lines.push(`${name}${labelKey(s.labels ?? {})} ${s.value}`);
      } catch {
        // A gauge that cannot be read (database down) is left out of this scrape.
      }
      parts.push(lines.join('\n'));
    }
    return `${parts.join('\n')}\n`;
  }
}
