import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  type UsageCap,
  type UsageLedger,
  UsageMetric,
  type UsageReservation,
} from '@paddock/core';
import { assertRejectsWith } from './store-fixtures.ts';
import { llmCall, type UsageLedgerUnderTest } from './usage-ledger-contract.ts';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** A hold of run `run-1` (alice, default, coder) made at `T0 + minutes`, lapsing an hour later. */
export function usageReservation(
  id: string,
  minutes: number,
  overrides: Partial<UsageReservation> = {},
): UsageReservation {
  return {
    id,
    runUid: 'run-1',
    namespace: 'default',
    runName: 'fix-bug',
    user: 'alice',
    agent: 'coder',
    at: at(minutes).toISOString(),
    costUsd: 1,
    tokens: 100,
    expiresAt: at(minutes + 60).toISOString(),
    ...overrides,
  };
}

const runCap = (max: number): UsageCap => ({
  scope: { runUid: 'run-1' },
  metric: UsageMetric.CostUsd,
  max,
});
const namespaceDay = (max: number): UsageCap => ({
  scope: { namespace: 'default', since: at(0) },
  metric: UsageMetric.CostUsd,
  max,
});

/**
 * The reservation part of the UsageLedger contract: a hold counts against every cap of its scope
 * until it is settled (replaced by the call's record) or released, or lapses; a refusal names the
 * cap and what was spent and held; concurrent reservations, over several connections where the
 * implementation has them, never admit more than fits.
 */
export function runUsageReservationContract(
  name: string,
  open: () => Promise<UsageLedgerUnderTest>,
): void {
  const withLedger =
    (body: (ledger: UsageLedger, connect: () => Promise<UsageLedger>) => Promise<void>) =>
    async () => {
      const subject = await open();
      try {
        await body(subject.ledger, subject.connect ?? (async () => subject.ledger));
      } finally {
        await subject.cleanup();
      }
    };

  describe(`UsageLedger reservations: ${name}`, () => {
    it(
      'counts a hold against its caps until it is settled or released',
      withLedger(async (ledger) => {
        await ledger.record(llmCall(0, { costUsd: 1 }));
        assert.deepEqual(await ledger.reserve(usageReservation('a', 1), [runCap(3)]), {
          isAdmitted: true,
        });
        // Spent 1 + held 1 < 3: admitted; then 1 + 2 = 3 reaches the cap.
        assert.equal(
          (await ledger.reserve(usageReservation('b', 1), [runCap(3)])).isAdmitted,
          true,
        );
        assert.deepEqual(
          await ledger.reserve(usageReservation('c', 1), [namespaceDay(100), runCap(3)]),
          { isAdmitted: false, cap: 1, spent: 1, held: 2 },
        );
        // Holds are not spending: totals count recorded calls only.
        assert.equal((await ledger.totals({ runUid: 'run-1' })).costUsd, 1);
        await ledger.settle('a', llmCall(1, { costUsd: 0.25 }));
        await ledger.release('b');
        assert.equal((await ledger.totals({ runUid: 'run-1' })).costUsd, 1.25);
        assert.deepEqual(await ledger.reserve(usageReservation('d', 2), [runCap(3)]), {
          isAdmitted: true,
        });
        assert.deepEqual(
          await ledger.reserve(usageReservation('e', 2, { costUsd: 0 }), [runCap(2.25)]),
          { isAdmitted: false, cap: 0, spent: 1.25, held: 1 },
        );
        // Settling a hold that is gone still records the call; releasing it again is harmless.
        await ledger.settle('gone', llmCall(3, { costUsd: 0.5 }));
        await ledger.release('gone');
        assert.equal((await ledger.totals({ runUid: 'run-1' })).calls, 3);
      }),
    );

    it(
      'counts tokens, daily scopes by time, other scopes apart, and lets lapsed holds go',
      withLedger(async (ledger) => {
        await ledger.record(llmCall(0, { inputTokens: 50, outputTokens: 30 }));
        const tokens: UsageCap = { scope: { runUid: 'run-1' }, metric: 'tokens', max: 180 };
        assert.equal((await ledger.reserve(usageReservation('a', 1), [tokens])).isAdmitted, true);
        assert.deepEqual(await ledger.reserve(usageReservation('b', 1), [tokens]), {
          isAdmitted: false,
          cap: 0,
          spent: 80,
          held: 100,
        });
        // Another run, another user: the hold of run-1 is not theirs.
        const other = { runUid: 'run-2', user: 'bob' };
        const bobDay: UsageCap = {
          scope: { user: 'bob', since: at(0) },
          metric: 'costUsd',
          max: 1,
        };
        assert.equal(
          (await ledger.reserve(usageReservation('c', 1, other), [bobDay])).isAdmitted,
          true,
        );
        // A day that starts after the hold's time does not count it.
        const later: UsageCap = { scope: { user: 'bob', since: at(5) }, metric: 'costUsd', max: 1 };
        assert.equal(
          (await ledger.reserve(usageReservation('d', 5, other), [later])).isAdmitted,
          true,
        );
        // Past its expiry (measured at the new hold's time) a hold no longer counts.
        assert.deepEqual(await ledger.reserve(usageReservation('e', 62, other), [bobDay]), {
          isAdmitted: false,
          cap: 0,
          spent: 0,
          held: 1,
        });
        assert.equal(
          (await ledger.reserve(usageReservation('f', 70, other), [bobDay])).isAdmitted,
          true,
        );
      }),
    );

    it(
      'admits exactly what fits when many reserve at once, over every connection',
      withLedger(async (ledger, connect) => {
        const handles = [ledger, await connect(), await connect()];
        const outcomes = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            handles[i % handles.length]?.reserve(
              usageReservation(`r${i}`, 1, { runUid: `run-${i}`, costUsd: 0.5 }),
              [namespaceDay(5)],
            ),
          ),
        );
        assert.equal(outcomes.filter((outcome) => outcome?.isAdmitted).length, 10);
      }),
    );

    it(
      'refuses a hold or a settled record that breaks the schema',
      withLedger(async (ledger) => {
        await assertRejectsWith(
          ledger.reserve(usageReservation('a', 0, { costUsd: -1 }), [runCap(1)]),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          ledger.reserve(usageReservation('a', 0, { expiresAt: 'later' }), [runCap(1)]),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          ledger.settle('a', llmCall(0, { outputTokens: -1 })),
          ErrorCode.ValidationFailed,
        );
        assert.equal((await ledger.totals({ runUid: 'run-1' })).calls, 0);
      }),
    );
  });
}
