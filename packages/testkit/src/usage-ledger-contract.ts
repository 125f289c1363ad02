import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type LlmCallRecord, type UsageLedger } from '@paddock/core';
import { assertRejectsWith } from './store-fixtures.ts';

/**
 * A fresh, empty usage ledger for one case. `connect`, when the implementation has more than one
 * connection to the same storage (another handle on the same file, another replica on the same
 * database), opens another handle onto what `ledger` stores. `cleanup` closes every handle and
 * removes what the case made.
 */
export type UsageLedgerUnderTest = {
  ledger: UsageLedger;
  connect?(): Promise<UsageLedger>;
  cleanup(): Promise<void>;
};

const T0 = Date.parse('2025-03-01T00:00:00Z');

/** A call of run `run-1` (user alice, namespace default, agent coder) at `T0 + minutes`. */
export function llmCall(minutes: number, overrides: Partial<LlmCallRecord> = {}): LlmCallRecord {
  return {
    runUid: 'run-1',
    namespace: 'default',
    runName: 'fix-bug',
    user: 'alice',
    agent: 'coder',
    at: new Date(T0 + minutes * 60_000).toISOString(),
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    status: 200,
    isStream: true,
    inputTokens: 100,
    outputTokens: 10,
    costUsd: 0.5,
    latencyMs: 12,
    ...overrides,
  };
}

const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/**
 * The UsageLedger contract (see `UsageLedger` in @paddock/core): totals per run, and per user,
 * namespace or agent since a time (inclusive), summing cost and tokens of every recorded call
 * (failed ones included); all zeros for an empty scope; records that break the schema and
 * invalid dates are `validation_failed`.
 */
export function runUsageLedgerContract(
  name: string,
  open: () => Promise<UsageLedgerUnderTest>,
): void {
  const withLedger = (body: (ledger: UsageLedger) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await body(subject.ledger);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`UsageLedger contract: ${name}`, () => {
    it(
      'totals nothing for a scope without calls',
      withLedger(async (ledger) => {
        const zero = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
        assert.deepEqual(await ledger.totals({ runUid: 'run-1' }), zero);
        assert.deepEqual(await ledger.totals({ user: 'alice', since: at(0) }), zero);
      }),
    );

    it(
      'totals a run, failed and refused calls included, other runs excluded',
      withLedger(async (ledger) => {
        await ledger.record(llmCall(1));
        await ledger.record(llmCall(2, { costUsd: 0.25, inputTokens: 7, outputTokens: 3 }));
        await ledger.record(
          llmCall(3, {
            status: 402,
            costUsd: 0,
            inputTokens: 0,
            outputTokens: 0,
            error: { code: 'budget_exceeded', message: 'over' },
          }),
        );
        await ledger.record(llmCall(4, { runUid: 'run-2', costUsd: 9 }));
        const totals = await ledger.totals({ runUid: 'run-1' });
        assert.equal(totals.calls, 3);
        assert.equal(totals.inputTokens, 107);
        assert.equal(totals.outputTokens, 13);
        assert.ok(Math.abs(totals.costUsd - 0.75) < 1e-9, `costUsd ${totals.costUsd}`);
        assert.equal((await ledger.totals({ runUid: 'run-2' })).costUsd, 9);
      }),
    );

    it(
      'totals a user, a namespace and an agent since a time, inclusive',
      withLedger(async (ledger) => {
        await ledger.record(llmCall(0, { costUsd: 1 }));
        await ledger.record(llmCall(10, { runUid: 'run-2', costUsd: 2 }));
        await ledger.record(llmCall(20, { user: 'bob', costUsd: 4 }));
        await ledger.record(llmCall(30, { namespace: 'team', costUsd: 8 }));
        await ledger.record(llmCall(40, { agent: undefined, costUsd: 16 }));
        await ledger.record(llmCall(50, { agent: 'reviewer', costUsd: 32 }));
        const cost = async (scope: Parameters<UsageLedger['totals']>[0]) =>
          (await ledger.totals(scope)).costUsd;
        assert.equal(await cost({ user: 'alice', since: at(0) }), 1 + 2 + 8 + 16 + 32);
        assert.equal(await cost({ user: 'alice', since: at(10) }), 2 + 8 + 16 + 32);
        assert.equal(await cost({ user: 'alice', since: at(51) }), 0);
        assert.equal(await cost({ user: 'bob', since: at(0) }), 4);
        assert.equal(await cost({ namespace: 'default', since: at(0) }), 1 + 2 + 4 + 16 + 32);
        assert.equal(await cost({ namespace: 'team', since: at(0) }), 8);
        assert.equal(await cost({ agent: 'coder', namespace: 'default', since: at(0) }), 7);
        assert.equal(await cost({ agent: 'coder', namespace: 'default', since: at(5) }), 6);
        assert.equal(await cost({ agent: 'coder', namespace: 'team', since: at(0) }), 8);
        assert.equal(await cost({ agent: 'reviewer', namespace: 'default', since: at(0) }), 32);
        assert.equal((await ledger.totals({ user: 'alice', since: at(0) })).calls, 5);
      }),
    );

    it(
      'counts calls by their own time, whatever the order they were recorded in',
      withLedger(async (ledger) => {
        await ledger.record(llmCall(30, { costUsd: 1 }));
        await ledger.record(llmCall(5, { costUsd: 2 }));
        assert.equal((await ledger.totals({ user: 'alice', since: at(10) })).costUsd, 1);
        assert.equal((await ledger.totals({ user: 'alice', since: at(0) })).costUsd, 3);
      }),
    );

    it(
      'totals whole UTC days and any other since alike, across days, durable when asked',
      withLedger(async (ledger) => {
        const day = 24 * 60;
        await ledger.record(llmCall(-1, { costUsd: 1 }));
        await ledger.record(llmCall(0, { costUsd: 2, inputTokens: 5 }));
        await ledger.record(llmCall(day - 2, { agent: undefined, costUsd: 4 }));
        await ledger.record(llmCall(day, { runUid: 'run-2', costUsd: 8 }));
        await ledger.record(llmCall(2 * day + 5, { costUsd: 16, outputTokens: 7 }));
        await ledger.durable();
        const totals = (scope: Parameters<UsageLedger['totals']>[0]) => ledger.totals(scope);
        // From a midnight (a whole day and those after it) and from a minute before it, when
        // no call falls in that minute: the same totals.
        for (const [midnight, cost] of [
          [0, 2 + 4 + 8 + 16],
          [day, 8 + 16],
          [2 * day, 16],
          [3 * day, 0],
        ] as const) {
          const fromMidnight = await totals({ user: 'alice', since: at(midnight) });
          assert.equal(fromMidnight.costUsd, cost, `since minute ${midnight}`);
          if (midnight > 0) {
            assert.deepEqual(
              await totals({ user: 'alice', since: at(midnight - 1) }),
              fromMidnight,
            );
          }
        }
        assert.deepEqual(await totals({ namespace: 'default', since: at(0) }), {
          costUsd: 30,
          inputTokens: 5 + 300,
          outputTokens: 37,
          calls: 4,
        });
        assert.equal(
          (await totals({ agent: 'coder', namespace: 'default', since: at(0) })).costUsd,
          26,
        );
        assert.equal(
          (await totals({ agent: 'coder', namespace: 'default', since: at(day) })).calls,
          2,
        );
        // A run counts every day it called on.
        assert.deepEqual(await totals({ runUid: 'run-1' }), {
          costUsd: 23,
          inputTokens: 5 + 300,
          outputTokens: 37,
          calls: 4,
        });
      }),
    );

    it(
      'refuses a record that breaks the schema and an invalid since',
      withLedger(async (ledger) => {
        await assertRejectsWith(
          ledger.record(llmCall(0, { inputTokens: -1 })),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          ledger.record({ ...llmCall(0), at: 'yesterday' }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          ledger.totals({ user: 'alice', since: new Date('nonsense') }),
          ErrorCode.ValidationFailed,
        );
        assert.equal((await ledger.totals({ runUid: 'run-1' })).calls, 0);
      }),
    );
  });
}
