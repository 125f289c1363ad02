import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runUsageCellsContract } from '@paddock/testkit';
import { openSqliteUsageCells, openSqliteUsageLedger } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

runUsageCellsContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-cells-'));
  dirs.push(dir);
  const path = join(dir, 'paddock.db');
  const ledger = await openSqliteUsageLedger({ path });
  const reader = await openSqliteUsageCells({ path });
  return {
    ledger,
    reader,
    cleanup: async () => {
      await reader.close();
      await ledger.close();
    },
  };
});
