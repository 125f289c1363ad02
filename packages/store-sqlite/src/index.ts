// Public surface of @paddock/store-sqlite: the embedded ResourceStore.
import { SqliteStore } from './sqlite-store.ts';
import type { SqliteStoreOptions } from './store-options.ts';

export { SqliteStore } from './sqlite-store.ts';
export type { SqliteStoreOptions } from './store-options.ts';

/**
 * Opens (creating and migrating when needed) the SQLite database at `options.path` as a
 * ResourceStore. Throws `validation_failed` for bad options, `internal` for a file that is not a
 * usable Paddock database, `timeout` when another writer holds it past `busyTimeoutMs`.
 * Call `close()` when done: it ends every watch and releases the file.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return new SqliteStore(options);
}

export {
  openSqliteApiKeyStore,
  SqliteApiKeyStore,
  SqliteApiKeyStoreOptions,
} from './api-key-store.ts';
export { openSqliteAuditLog, SqliteAuditLog, SqliteAuditLogOptions } from './audit-log.ts';
export {
  openSqliteCredentialStore,
  SqliteCredentialStore,
  SqliteCredentialStoreOptions,
} from './credential-store.ts';
export {
  DiskReserve,
  DiskReserveOptions,
  openDiskReserve,
  reservePathFor,
} from './disk-reserve.ts';
export { openSqliteEventLog, SqliteEventLog, SqliteEventLogOptions } from './event-log.ts';
export {
  openSqliteRunEventLog,
  SqliteRunEventLog,
  SqliteRunEventLogOptions,
} from './run-event-log.ts';
export {
  openSqliteUsageCells,
  SqliteUsageCells,
  SqliteUsageCellsOptions,
} from './usage-cells.ts';
export {
  openSqliteUsageLedger,
  SqliteUsageLedger,
  SqliteUsageLedgerOptions,
} from './usage-ledger.ts';
