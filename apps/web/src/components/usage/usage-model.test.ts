import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageReport } from '@paddock/api';
import { dayStack, niceMax, OTHER, seriesOf, windowOf } from './usage-model.ts';

const usage = (costUsd: number) => ({
  costUsd,
  inputTokens: 0,
  outputTokens: 0,
  calls: 1,
  runs: 0,
  sandboxSeconds: 0,
});

describe('usage page model', () => {
  it('keeps the top seven keys and stacks the rest as Other', () => {
    const groups = Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, usage: usage(9 - i) }));
    const report = { groups, days: [], budgets: [] } as unknown as UsageReport;
    const series = seriesOf(report);
    assert.deepEqual(series, ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', OTHER]);
    const day = {
      day: '2025-03-01',
      usage: { costUsd: 6, inputTokens: 0, outputTokens: 0, calls: 3 },
      stack: [
        { key: 'k0', costUsd: 1 },
        { key: 'k7', costUsd: 2 },
        { key: 'k8', costUsd: 3 },
      ],
    };
    assert.deepEqual(dayStack(day, series).at(-1), { key: OTHER, costUsd: 5 });
    assert.deepEqual(dayStack(day, series)[0], { key: 'k0', costUsd: 1 });
  });

  it('rounds the axis up and windows whole UTC days ending today', () => {
    assert.equal(niceMax(0), 1);
    assert.equal(niceMax(0.34), 0.5);
    assert.equal(niceMax(1.2), 2);
    assert.equal(niceMax(7), 10);
    assert.deepEqual(windowOf(7, Date.parse('2025-03-10T15:00:00Z')), {
      since: '2025-03-04T00:00:00.000Z',
      until: '2025-03-11T00:00:00.000Z',
    });
  });
});
