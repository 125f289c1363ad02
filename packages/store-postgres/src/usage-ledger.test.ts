import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  llmCall,
  postgresSkipReason,
  runUsageLedgerContract,
  runUsageReservationContract,
} from '@paddock/testkit';
import { openPostgresDatabase, openPostgresUsageLedger } from './index.ts';
import { logReplicas, postgresForFile } from './test-database.ts';

const { freshUrl, sql } = postgresForFile();

describe('PostgreSQL usage ledger', { skip: postgresSkipReason }, () => {
  runUsageLedgerContract('postgres', async () => {
    const ledger = await openPostgresUsageLedger({ url: await freshUrl() });
    return { ledger, cleanup: () => ledger.close() };
  });

  runUsageReservationContract('postgres, replicas on one database', async () => {
    const url = await freshUrl();
    const { log, connect, cleanup } = await logReplicas(() => openPostgresUsageLedger({ url }));
    return { ledger: log, connect, cleanup };
  });

  it('totals exactly what concurrent replicas recorded, in exact decimals', async () => {
    const url = await freshUrl();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => openPostgresUsageLedger({ url })));
    try {
      await Promise.all(
        replicas.map(async (ledger, r) => {
          await Promise.all(
            Array.from({ length: 25 }, (_, i) =>
              ledger.record(llmCall(i, { costUsd: 0.1, runName: `r${r}` })),
            ),
          );
        }),
      );
      const [first] = replicas;
      assert.ok(first);
      assert.deepEqual(await first.totals({ runUid: 'run-1' }), {
        costUsd: 10,
        inputTokens: 100 * 100,
        outputTokens: 100 * 10,
        calls: 100,
      });
    } finally {
      for (const ledger of replicas) await ledger.close();
    }
  });

  it('fills the running totals from the calls of a database written before they existed', async () => {
    const url = await freshUrl();
    const first = await openPostgresUsageLedger({ url });
    await first.record(llmCall(-1, { costUsd: 0.5 }));
    await first.record(llmCall(1, { agent: undefined, costUsd: 0.25 }));
    await first.record(llmCall(24 * 60, { runUid: 'run-2', user: 'bob', costUsd: 2 }));
    await first.close();
    // Back to the schema before the totals (version 3), with the calls it had.
    await sql(url, 'DROP TABLE llm_usage_totals; UPDATE schema_version SET version = 3');
    const T0 = new Date('2025-03-01T00:00:00Z');
    const ledger = await openPostgresUsageLedger({ url });
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
    } finally {
      await ledger.close();
    }
  });

  it('shares one database with other logs; closing the ledger leaves a shared database open', async () => {
    const database = await openPostgresDatabase({ url: await freshUrl() });
    try {
      const ledger = await openPostgresUsageLedger({ database });
      await ledger.record(llmCall(1, { costUsd: 0.125 }));
      await ledger.close();
      await assertRejectsWith(ledger.totals({ runUid: 'run-1' }), ErrorCode.Internal);
      const again = await openPostgresUsageLedger({ database });
      assert.equal((await again.totals({ runUid: 'run-1' })).costUsd, 0.125);
      await again.close();
    } finally {
      await database.close();
    }
  });

  it('refuses both url and database, or neither', async () => {
    await assertRejectsWith(openPostgresUsageLedger({}), ErrorCode.ValidationFailed);
  });
});
