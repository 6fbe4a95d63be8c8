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
  render() {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

type GaugeReader = () => Promise<Array<{ labels?: Labels; value: number }>>;

export class Metrics {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, { help: string; read: GaugeReader }>();

  counter(name: string, help: string): Counter {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter(name, help);
      this.counters.set(name, c);
    }
    return c;
  }

  /** A gauge read at scrape time (e.g. pending events from the database). */
  gauge(name: string, help: string, read: GaugeReader) {
    this.gauges.set(name, { help, read });
  }

  async render(): Promise<string> {
    const parts = [...this.counters.values()].map((c) => c.render());
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
