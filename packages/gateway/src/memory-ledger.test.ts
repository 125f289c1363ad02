import { runUsageLedgerContract } from '@paddock/testkit';
import { createMemoryLedger } from './memory-ledger.ts';

runUsageLedgerContract('memory', async () => ({
  ledger: createMemoryLedger(),
  cleanup: async () => {},
}));
