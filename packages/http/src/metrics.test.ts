import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from './metrics.ts';

describe('MetricsRegistry', () => {
  it('renders counters, labelled histograms and scrape-time gauges in the exposition format', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('t_requests_total', 'Requests');
    const duration = registry.histogram('t_duration_seconds', 'Duration', [0.1, 1]);
    let depth = 3;
    registry.gauge('t_depth', 'Depth', () => [[{ queue: 'a' }, depth]]);
    requests.inc({ code: '200' });
    requests.inc({ code: '200' }, 2);
    requests.inc({ code: 'say "hi"\n' });
    duration.observe(0.05, { result: 'ok' });
    duration.observe(0.5, { result: 'ok' });
    duration.observe(5, { result: 'error' });
    depth = 4;
    assert.equal(
      registry.render(),
      [
        '# HELP t_requests_total Requests',
        '# TYPE t_requests_total counter',
        't_requests_total{code="200"} 3',
        't_requests_total{code="say \\"hi\\"\\n"} 1',
        '# HELP t_duration_seconds Duration',
        '# TYPE t_duration_seconds histogram',
        't_duration_seconds_bucket{result="ok",le="0.1"} 1',
        't_duration_seconds_bucket{result="ok",le="1"} 2',
        't_duration_seconds_bucket{result="ok",le="+Inf"} 2',
        't_duration_seconds_sum{result="ok"} 0.55',
        't_duration_seconds_count{result="ok"} 2',
        't_duration_seconds_bucket{result="error",le="0.1"} 0',
        't_duration_seconds_bucket{result="error",le="1"} 0',
        't_duration_seconds_bucket{result="error",le="+Inf"} 1',
        't_duration_seconds_sum{result="error"} 5',
        't_duration_seconds_count{result="error"} 1',
        '# HELP t_depth Depth',
        '# TYPE t_depth gauge',
        't_depth{queue="a"} 4',
        '',
      ].join('\n'),
    );
  });

  it('renders a histogram with no observation as zeros', () => {
    const registry = new MetricsRegistry();
    registry.histogram('t_empty', 'Empty', [1]);
    assert.match(registry.render(), /^t_empty_bucket\{le="\+Inf"\} 0$/m);
    assert.match(registry.render(), /^t_empty_count 0$/m);
  });
});
