// The usage report of servers that share a PostgreSQL database: it reads the calls every replica
// recorded in the shared ledger, summed as exact decimals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgresUsageLedger } from '@paddock/store-postgres';
import {
  llmCall,
  type PostgresTestServer,
  postgresSkipReason,
  startPostgres,
} from '@paddock/testkit';
import { startTestServer, type TestServer } from './test-server.ts';

describe('usage report on PostgreSQL', { skip: postgresSkipReason ?? false }, () => {
  let postgres: PostgresTestServer;
  let server: TestServer;
  let url: string;

  before(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase();
    server = await startTestServer({ database: url });
  });
  after(async () => {
    await server?.close();
    await postgres?.stop();
  });

  it('totals, groups and days come from the shared ledger, to the micro-dollar', async () => {
    const ledger = await openPostgresUsageLedger({ url });
    try {
      for (let i = 0; i < 10; i++) await ledger.record(llmCall(i, { costUsd: 0.1 }));
      await ledger.record(llmCall(30, { model: 'gpt-4o', provider: 'openai', costUsd: 0.0000004 }));
      await ledger.record(llmCall(24 * 60, { costUsd: 5 }));
    } finally {
      await ledger.close();
    }
    const res = await fetch(
      `${server.url}/api/v1/usage?since=2025-03-01T00:00:00Z&until=2025-03-02T00:00:00Z&groupBy=model`,
    );
    assert.equal(res.status, 200, await res.clone().text());
    const report = (await res.json()) as {
      total: { costUsd: number; calls: number };
      groups: Array<{ key: string; usage: { costUsd: number; calls: number } }>;
      days: Array<{ day: string; usage: { costUsd: number } }>;
    };
    assert.equal(report.total.costUsd, 1);
    assert.equal(report.total.calls, 11);
    assert.deepEqual(
      report.groups.map((g) => [g.key, g.usage.costUsd, g.usage.calls]),
      [
        ['claude-sonnet-4-5', 1, 10],
        ['gpt-4o', 0, 1],
      ],
    );
    assert.deepEqual(report.days, [
      {
        day: '2025-03-01',
        usage: report.days[0]?.usage,
        stack: [
          { key: 'claude-sonnet-4-5', costUsd: 1 },
          { key: 'gpt-4o', costUsd: 0 },
        ],
      },
    ]);
  });
});
