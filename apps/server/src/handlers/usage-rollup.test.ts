import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageCell } from '@paddock/core';
import { burnDown, microUsd, usageDays } from './usage-rollup.ts';

const cell = (hour: string, costUsd: number, model = 'm1'): UsageCell => ({
  hour,
  namespace: 'default',
  user: 'alice',
  provider: 'anthropic',
  model,
  costUsd,
  inputTokens: 10,
  outputTokens: 1,
  calls: 1,
});
const DAY = Date.parse('2025-03-01T00:00:00Z');
const H = 3_600_000;

describe('usage roll-ups', () => {
  it('lists every day of the window, empty ones too, with stacks by key', () => {
    const days = usageDays(
      [cell('2025-03-01T05', 0.1), cell('2025-03-03T23', 0.2, 'm2'), cell('2025-03-03T01', 0.3)],
      DAY + 12 * H,
      DAY + 3 * 24 * H,
      'model',
    );
    assert.deepEqual(
      days.map((d) => [d.day, d.usage.costUsd, d.stack]),
      [
        ['2025-03-01', 0.1, [{ key: 'm1', costUsd: 0.1 }]],
        ['2025-03-02', 0, []],
        [
          '2025-03-03',
          0.5,
          [
            { key: 'm1', costUsd: 0.3 },
            { key: 'm2', costUsd: 0.2 },
          ],
        ],
      ],
    );
  });

  it('burns a budget down hour by hour, up to now, and fully for a past day', () => {
    const cells = [cell('2025-03-01T00', 1), cell('2025-03-01T02', 0.5), cell('2025-03-01T20', 9)];
    const today = burnDown('namespace', 'default', 10, cells, DAY, DAY + 2 * H + 60_000);
    assert.deepEqual(
      today.burnDown.map((p) => [p.hour.slice(11, 13), p.remainingUsd]),
      [
        ['00', 9],
        ['01', 9],
        ['02', 8.5],
      ],
    );
    assert.equal(today.spentUsd, 10.5, 'spent counts the whole day');
    const past = burnDown('user', 'alice', 10, cells, DAY, DAY + 5 * 24 * H);
    assert.equal(past.burnDown.length, 24);
    assert.equal(past.burnDown.at(-1)?.remainingUsd, -0.5);
    assert.equal(past.day, '2025-03-01');
  });

  it('rounds to the micro-dollar', () => {
    assert.equal(microUsd(0.1 + 0.2), 0.3);
    assert.equal(microUsd(0.0000015), 0.000002);
  });
});
