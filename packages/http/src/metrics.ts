/**
 * A small Prometheus registry in the text exposition format: counters and histograms with
 * bounded, caller-chosen labels, and gauges read at scrape time. Every Paddock listener with a
 * `/metrics` (the server, the Kubernetes controller) keeps its metrics in one of these.
 */
export type MetricLabels = Readonly<Record<string, string>>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: MetricLabels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
};

export class Counter {
  readonly #values = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  inc(labels: MetricLabels = {}, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, value] of this.#values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

type Series = { labels: MetricLabels; counts: number[]; sum: number; count: number };

export class Histogram {
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, Series>();
  readonly name: string;
  readonly help: string;
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#buckets = buckets;
  }
  observe(value: number, labels: MetricLabels = {}): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    series.sum += value;
    series.count += 1;
    for (const [i, bound] of this.#buckets.entries()) {
      if (value <= bound) series.counts[i] = (series.counts[i] ?? 0) + 1;
    }
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    const all: Series[] =
      this.#series.size === 0
        ? [{ labels: {}, counts: this.#buckets.map(() => 0), sum: 0, count: 0 }]
        : [...this.#series.values()];
    for (const { labels, counts, sum, count } of all) {
      const withLe = (le: string) => labelText({ ...labels, le });
      for (const [i, bound] of this.#buckets.entries()) {
        lines.push(`${this.name}_bucket${withLe(String(bound))} ${counts[i] ?? 0}`);
      }
      lines.push(`${this.name}_bucket${withLe('+Inf')} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** Renders a gauge from values computed at scrape time. */
export function gauge(name: string, help: string, values: Array<[MetricLabels, number]>): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, value] of values) lines.push(`${name}${labelText(labels)} ${value}`);
  return lines.join('\n');
}

/** Metrics registered once and rendered together, in the order they were registered. */
export class MetricsRegistry {
  readonly #sections: Array<() => string> = [];

  counter(name: string, help: string): Counter {
    const counter = new Counter(name, help);
    this.#sections.push(() => counter.render());
    return counter;
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const histogram = new Histogram(name, help, buckets);
    this.#sections.push(() => histogram.render());
    return histogram;
  }

  /** A gauge whose values `read` computes at each scrape. */
  gauge(name: string, help: string, read: () => Array<[MetricLabels, number]>): void {
    this.#sections.push(() => gauge(name, help, read()));
  }

  /** The exposition text of every metric. */
  render(): string {
    return `${this.#sections.map((section) => section()).join('\n')}\n`;
  }
}
