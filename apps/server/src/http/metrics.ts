/** A tiny Prometheus registry: counters and histograms with bounded, caller-chosen labels. */
type Labels = Readonly<Record<string, string>>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
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
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, value] of this.#values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  readonly #buckets: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  readonly name: string;
  readonly help: string;
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#buckets = buckets;
    this.#counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.#sum += value;
    this.#count += 1;
    for (const [i, bound] of this.#buckets.entries()) {
      if (value <= bound) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    }
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [i, bound] of this.#buckets.entries()) {
      lines.push(`${this.name}_bucket{le="${bound}"} ${this.#counts[i] ?? 0}`);
    }
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return lines.join('\n');
  }
}

/** Renders a gauge from values computed at scrape time. */
export function gauge(name: string, help: string, values: Array<[Labels, number]>): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, value] of values) lines.push(`${name}${labelText(labels)} ${value}`);
  return lines.join('\n');
}

/** The server's own metrics; sandbox and warm pool gauges are computed at scrape. */
export class ServerMetrics {
  /** Labelled by route template (never a raw path), method and status. */
  readonly httpRequests = new Counter(
    'paddock_http_requests_total',
    'HTTP requests by route template, method and status',
  );
  readonly execs = new Counter('paddock_execs_total', 'Commands run in sandboxes, by result');
  readonly createLatency = new Histogram(
    'paddock_sandbox_create_duration_seconds',
    'Time to answer a sandbox create (admission and store write)',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
}
