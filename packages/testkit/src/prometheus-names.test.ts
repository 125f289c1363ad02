import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposedSeriesNames, promqlSeriesNames } from './prometheus-names.ts';

describe('promqlSeriesNames', () => {
  it('finds the selected metrics, never labels, functions, keywords or durations', () => {
    assert.deepEqual(
      promqlSeriesNames(
        'sum by (phase, job) (increase(paddock_runs_total{job="paddock",phase=~"Failed|sum"}[1h])) / on (job) group_left max without (le) (rate(b_bucket[5m] offset 1h)) or absent(up{job="x"}) and bool 1 > 0.8',
      ),
      ['b_bucket', 'paddock_runs_total', 'up'],
    );
    assert.deepEqual(
      promqlSeriesNames(
        'histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket{namespace="$namespace"}[5m])))',
      ),
      ['x_seconds_bucket'],
    );
    assert.deepEqual(promqlSeriesNames('{__name__="by_name", a="b"} unless c'), ['by_name', 'c']);
  });

  it('refuses what is not PromQL', () => {
    assert.throws(() => promqlSeriesNames('sum(rate(foo[5m])'), /not valid PromQL/);
    assert.throws(() => promqlSeriesNames('foo{a=}'), /not valid PromQL/);
  });
});

describe('exposedSeriesNames', () => {
  it('reads TYPE lines, samples, and the series of histograms', () => {
    const names = exposedSeriesNames(
      [
        '# HELP a_total A counter',
        '# TYPE a_total counter',
        'a_total{x="1"} 3',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{le="+Inf"} 1',
        'untyped 2',
      ].join('\n'),
    );
    assert.deepEqual([...names].sort(), [
      'a_total',
      'h_seconds',
      'h_seconds_bucket',
      'h_seconds_count',
      'h_seconds_sum',
      'untyped',
    ]);
  });
});
