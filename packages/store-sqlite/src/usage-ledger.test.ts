import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  llmCall,
  runUsageLedgerContract,
  runUsageReservationContract,
  usageReservation,
} from '@paddock/testkit';
import { openSqliteStore, openSqliteUsageLedger, type SqliteUsageLedger } from './index.ts';

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

runUsageReservationContract('sqlite, connections on one file', async () => {
  const path = tempPath();
  const handles = [await openSqliteUsageLedger({ path })];
  return {
    ledger: handles[0] as SqliteUsageLedger,
    connect: async () => {
      const handle = await openSqliteUsageLedger({ path });
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
    },
  };
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

  it('keeps settled calls and holds of calls in flight across a restart', async () => {
    const path = tempPath();
    const cap = { scope: { runUid: 'run-1' }, metric: 'costUsd', max: 1.5 } as const;
    const first = await openSqliteUsageLedger({ path });
    assert.equal((await first.reserve(usageReservation('a', 0), [cap])).isAdmitted, true);
    await first.settle('a', llmCall(0, { costUsd: 0.75 }));
    assert.equal((await first.reserve(usageReservation('b', 1), [cap])).isAdmitted, true);
    await first.close();
    const second = await openSqliteUsageLedger({ path });
    try {
      assert.equal((await second.totals({ runUid: 'run-1' })).costUsd, 0.75);
      // The hold of the call in flight when the process stopped counts until it lapses.
      assert.deepEqual(await second.reserve(usageReservation('c', 2), [cap]), {
        isAdmitted: false,
        cap: 0,
        spent: 0.75,
        held: 1,
      });
      assert.equal((await second.reserve(usageReservation('d', 61), [cap])).isAdmitted, true);
    } finally {
      await second.close();
    }
  });

  it('refuses bad options and use after close', async () => {
    await assertRejectsWith(openSqliteUsageLedger({ path: '' }), ErrorCode.ValidationFailed);
    const ledger = await openSqliteUsageLedger({ path: tempPath() });
    await ledger.close();
    await assertRejectsWith(ledger.totals({ runUid: 'run-1' }), ErrorCode.Internal);
  });
});
