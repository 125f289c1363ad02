import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type UsageCellReader, type UsageLedger } from '@paddock/core';
import { assertRejectsWith } from './store-fixtures.ts';
import { llmCall } from './usage-ledger-contract.ts';

/** A fresh, empty ledger and the cell reader of the same storage; `cleanup` closes both. */
/** Only the ledger's `record` is used: the reader must see what the write side committed. */
export type UsageCellsUnderTest = {
  ledger: Pick<UsageLedger, 'record'>;
  reader: UsageCellReader;
  cleanup(): Promise<void>;
};

const T0 = Date.parse('2025-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/**
 * The UsageCellReader contract (see `UsageCellReader` in @paddock/core): the calls a ledger
 * recorded in `[since, until)`, summed per UTC hour, namespace, user, agent, provider and model,
 * ordered by hour; equality filters on namespace and user; invalid windows are
 * `validation_failed`.
 */
export function runUsageCellsContract(
  name: string,
  open: () => Promise<UsageCellsUnderTest>,
): void {
  const withReader =
    (body: (ledger: Pick<UsageLedger, 'record'>, reader: UsageCellReader) => Promise<void>) =>
    async () => {
      const subject = await open();
      try {
        await body(subject.ledger, subject.reader);
      } finally {
        await subject.cleanup();
      }
    };

  describe(`UsageCellReader contract: ${name}`, () => {
    it(
      'sums calls per hour, namespace, user, agent and model, in the window only',
      withReader(async (ledger, reader) => {
        await ledger.record(llmCall(1, { costUsd: 0.125 }));
        await ledger.record(llmCall(2, { costUsd: 0.25, inputTokens: 7, outputTokens: 3 }));
        await ledger.record(llmCall(3, { model: 'gpt-5', provider: 'openai', costUsd: 1 }));
        await ledger.record(llmCall(4, { agent: undefined, costUsd: 2 }));
        await ledger.record(llmCall(70, { user: 'bob', namespace: 'team', costUsd: 4 }));
        await ledger.record(llmCall(24 * 60, { costUsd: 8 }));
        const cells = await reader.cells({ since: at(0), until: at(24 * 60) });
        assert.deepEqual(
          cells.map((c) => [c.hour, c.namespace, c.user, c.agent, c.provider, c.model, c.calls]),
          [
            ['2025-03-01T00', 'default', 'alice', undefined, 'anthropic', 'claude-sonnet-4-5', 1],
            ['2025-03-01T00', 'default', 'alice', 'coder', 'anthropic', 'claude-sonnet-4-5', 2],
            ['2025-03-01T00', 'default', 'alice', 'coder', 'openai', 'gpt-5', 1],
            ['2025-03-01T01', 'team', 'bob', 'coder', 'anthropic', 'claude-sonnet-4-5', 1],
          ],
        );
        const coder = cells[1];
        assert.ok(coder);
        assert.equal(coder.costUsd, 0.375);
        assert.equal(coder.inputTokens, 107);
        assert.equal(coder.outputTokens, 13);
        const next = await reader.cells({ since: at(24 * 60), until: at(25 * 60) });
        assert.deepEqual(
          next.map((c) => [c.hour, c.costUsd]),
          [['2025-03-02T00', 8]],
        );
      }),
    );

    it(
      'filters by namespace and by user',
      withReader(async (ledger, reader) => {
        await ledger.record(llmCall(1, { costUsd: 1 }));
        await ledger.record(llmCall(2, { user: 'bob', costUsd: 2 }));
        await ledger.record(llmCall(3, { namespace: 'team', costUsd: 4 }));
        const window = { since: at(0), until: at(60) };
        const cost = async (filter: { namespace?: string; user?: string }) =>
          (await reader.cells({ ...window, ...filter })).reduce((sum, c) => sum + c.costUsd, 0);
        assert.equal(await cost({}), 7);
        assert.equal(await cost({ namespace: 'default' }), 3);
        assert.equal(await cost({ user: 'alice' }), 5);
        assert.equal(await cost({ namespace: 'team', user: 'bob' }), 0);
        assert.deepEqual(await reader.cells({ since: at(60), until: at(120) }), []);
      }),
    );

    it(
      'refuses an invalid date and a window whose until is not after since',
      withReader(async (_ledger, reader) => {
        await assertRejectsWith(
          reader.cells({ since: new Date('nonsense'), until: at(1) }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          reader.cells({ since: at(1), until: at(1) }),
          ErrorCode.ValidationFailed,
        );
      }),
    );
  });
}
