import { describe } from 'node:test';
import { postgresSkipReason, runUsageCellsContract } from '@paddock/testkit';
import { openPostgresDatabase, openPostgresUsageCells, openPostgresUsageLedger } from './index.ts';
import { postgresForFile } from './test-database.ts';

const { freshUrl } = postgresForFile();

describe('PostgreSQL usage cells', { skip: postgresSkipReason }, () => {
  runUsageCellsContract('postgres', async () => {
    const database = await openPostgresDatabase({ url: await freshUrl() });
    const ledger = await openPostgresUsageLedger({ database });
    const reader = await openPostgresUsageCells({ database });
    return {
      ledger,
      reader,
      cleanup: async () => {
        await reader.close();
        await ledger.close();
        await database.close();
      },
    };
  });
});
