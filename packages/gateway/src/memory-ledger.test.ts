import { runUsageLedgerContract, runUsageReservationContract } from '@paddock/testkit';
import { createMemoryLedger } from './memory-ledger.ts';

const open = async () => ({ ledger: createMemoryLedger(), cleanup: async () => {} });
runUsageLedgerContract('memory', open);
runUsageReservationContract('memory', open);
