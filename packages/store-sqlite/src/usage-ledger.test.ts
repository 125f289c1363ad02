import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  llmCall,
  runUsageLedgerContract,
  runUsageReservationContract,
  usageReservation,
} from '@paddock/testkit';
import { openSqliteStore, openSqliteUsageLedger, type SqliteUsageLedger } from './index.ts';

const execFileAsync = promisify(execFile);
const INDEX_URL = new URL('./index.ts', import.meta.url).href;

/**
 * A child process that reserves $1 holds for `count` runs of namespace `team` under a $`max`
 * daily cap of the namespace, starting at `startAt` (epoch ms, so the children overlap), and
 * prints how many were admitted.
 */
async function reserver(path: string, name: string, count: number, max: number, startAt: number) {
  const script = `
    import { openSqliteUsageLedger } from ${JSON.stringify(INDEX_URL)};
    const ledger = await openSqliteUsageLedger({ path: ${JSON.stringify(path)} });
    await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now()));
    const now = new Date();
    const cap = { scope: { namespace: 'team', since: new Date(0) }, metric: 'costUsd', max: ${max} };
    let admitted = 0;
    for (let i = 0; i < ${count}; i += 1) {
      const hold = { id: '${name}-' + i, runUid: '${name}-' + i, namespace: 'team', runName: 'r',
        user: 'u', at: now.toISOString(), costUsd: 1, tokens: 0,
        expiresAt: new Date(now.getTime() + 600000).toISOString() };
      if ((await ledger.reserve(hold, [cap])).isAdmitted) admitted += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await ledger.close();
    process.stdout.write(String(admitted));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
  return Number(stdout);
}

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

  it('fills the running totals from the calls of a file written before they existed', async () => {
    const path = tempPath();
    const first = await openSqliteUsageLedger({ path });
    await first.record(llmCall(-1, { costUsd: 0.5 }));
    await first.record(llmCall(1, { agent: undefined, costUsd: 0.25 }));
    await first.record(llmCall(24 * 60, { runUid: 'run-2', user: 'bob', costUsd: 2 }));
    await first.close();
    // Back to the schema before the totals (version 7), with the calls it had.
    const db = new DatabaseSync(path);
    db.exec('DROP TABLE llm_usage_totals; PRAGMA user_version = 7');
    db.close();
    const T0 = new Date('2025-03-01T00:00:00Z');
    const ledger = await openSqliteUsageLedger({ path });
    try {
      assert.deepEqual(await ledger.totals({ runUid: 'run-1' }), {
        costUsd: 0.75,
        inputTokens: 200,
        outputTokens: 20,
        calls: 2,
      });
      assert.equal((await ledger.totals({ user: 'alice', since: T0 })).costUsd, 0.25);
      assert.equal((await ledger.totals({ namespace: 'default', since: T0 })).costUsd, 2.25);
      const agentDay = { agent: 'coder', namespace: 'default', since: T0 };
      assert.equal((await ledger.totals(agentDay)).costUsd, 2);
      // A check reads the same totals.
      const cap = {
        scope: { namespace: 'default', since: T0 },
        metric: 'costUsd',
        max: 2.25,
      } as const;
      assert.deepEqual(await ledger.reserve(usageReservation('a', 2), [cap]), {
        isAdmitted: false,
        cap: 0,
        spent: 2.25,
        held: 0,
      });
    } finally {
      await ledger.close();
    }
  });

  it('admits exactly what fits when processes reserve on one file at once', async () => {
    const path = tempPath();
    await (await openSqliteUsageLedger({ path })).close();
    const startAt = Date.now() + 1_000;
    const admitted = await Promise.all(
      ['a', 'b', 'c'].map((name) => reserver(path, name, 20, 30, startAt)),
    );
    assert.equal(
      admitted.reduce((sum, n) => sum + n, 0),
      30,
      `admitted per process: ${admitted.join(', ')}`,
    );
  });

  it('refuses bad options and use after close', async () => {
    await assertRejectsWith(openSqliteUsageLedger({ path: '' }), ErrorCode.ValidationFailed);
    const ledger = await openSqliteUsageLedger({ path: tempPath() });
    await ledger.close();
    await assertRejectsWith(ledger.totals({ runUid: 'run-1' }), ErrorCode.Internal);
  });
});
