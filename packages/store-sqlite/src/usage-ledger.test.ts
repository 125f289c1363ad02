import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, llmCall, runUsageLedgerContract } from '@paddock/testkit';
import { openSqliteStore, openSqliteUsageLedger } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-ledger-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

runUsageLedgerContract('sqlite', async () => {
  const ledger = await openSqliteUsageLedger({ path: tempPath() });
  return { ledger, cleanup: () => ledger.close() };
});

describe('SqliteUsageLedger', () => {
  it('keeps calls across close and reopen, next to the store in one file', async () => {
    const path = tempPath();
    const store = await openSqliteStore({ path });
    const first = await openSqliteUsageLedger({ path });
    await first.record(llmCall(1, { costUsd: 0.125 }));
    await first.close();
    const second = await openSqliteUsageLedger({ path });
    try {
      await second.record(llmCall(2, { costUsd: 0.25 }));
      const totals = await second.totals({ runUid: 'run-1' });
      assert.deepEqual(totals, { costUsd: 0.375, inputTokens: 200, outputTokens: 20, calls: 2 });
      assert.deepEqual((await store.list('Sandbox')).items, []);
    } finally {
      await second.close();
      await store.close();
    }
  });

  it('refuses bad options and use after close', async () => {
    await assertRejectsWith(openSqliteUsageLedger({ path: '' }), ErrorCode.ValidationFailed);
    const ledger = await openSqliteUsageLedger({ path: tempPath() });
    await ledger.close();
    await assertRejectsWith(ledger.totals({ runUid: 'run-1' }), ErrorCode.Internal);
  });
});
