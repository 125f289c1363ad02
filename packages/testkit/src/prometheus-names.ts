/**
 * Series names on both sides of a Prometheus scrape, for tests that check alert rules and
 * dashboards against what a server really exports: the names a PromQL expression selects (read
 * with Prometheus's own grammar, so label matchers, functions, aggregations, `by (...)`, keywords
 * and durations are never mistaken for a metric), and the names an exposition text declares.
 */
import { parser } from '@prometheus-io/lezer-promql';

/**
 * The metric names `expr` selects (`foo{a="b"}` and `{__name__="foo"}`), sorted. Throws when
 * the expression is not valid PromQL, naming the offset of the first error.
 */
export function promqlSeriesNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names = new Set<string>();
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) errorAt ??= node.from;
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      const matchers = node.node.getChild('LabelMatchers');
      for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        const value = matcher.getChild('StringLiteral');
        if (label && value && expr.slice(label.from, label.to) === '__name__') {
          names.add(expr.slice(value.from + 1, value.to - 1));
        }
      }
    },
  });
  if (errorAt !== undefined) {
    throw new Error(`not valid PromQL at offset ${errorAt}: ${expr}`);
  }
  return [...names].sort();
}

/** Series a Prometheus server makes up itself for every scrape target. */
export const SYNTHETIC_SERIES: readonly string[] = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
];

/**
 * The series names an exposition text (format 0.0.4) declares with `# TYPE` or has a sample of:
 * a histogram's `_bucket`, `_sum` and `_count`, a summary's `_sum` and `_count` included.
 */
export function exposedSeriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      names.add(name);
      if (kind === 'histogram') names.add(`${name}_bucket`);
      if (kind === 'histogram' || kind === 'summary') {
        names.add(`${name}_sum`);
        names.add(`${name}_count`);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{| )/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}
