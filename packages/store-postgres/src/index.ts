// Public surface of @paddock/store-postgres: the logs and API keys a cluster's server replicas
// share.

export {
  openPostgresApiKeyStore,
  PostgresApiKeyStore,
  PostgresApiKeyStoreOptions,
} from './api-key-store.ts';
export { openPostgresAuditLog, PostgresAuditLog, PostgresAuditLogOptions } from './audit-log.ts';
export {
  openPostgresDatabase,
  PostgresDatabase,
  PostgresDatabaseOptions,
} from './database.ts';
export { openPostgresEventLog, PostgresEventLog, PostgresEventLogOptions } from './event-log.ts';
export {
  openPostgresRunEventLog,
  PostgresRunEventLog,
  PostgresRunEventLogOptions,
} from './run-event-log.ts';
export {
  openPostgresUsageCells,
  PostgresUsageCells,
  PostgresUsageCellsOptions,
} from './usage-cells.ts';
export {
  openPostgresUsageLedger,
  PostgresUsageLedger,
  PostgresUsageLedgerOptions,
} from './usage-ledger.ts';
