import { parseInput, type StorageReserve } from '@paddock/core';
import { z } from 'zod';
import type { WalSyncFactory } from './group-commit.ts';

/** Options of `openSqliteStore`, validated once at open; a bad value fails listing every problem. */
export const SqliteStoreOptions = z.strictObject({
  /** The database file (created when missing), or `:memory:` for a private in-memory store. */
  path: z.string().min(1),
  /** How many changes the log keeps for watches; older versions are `expired`. */
  changeRetention: z.int().min(1).default(10_000),
  /** How often a watch checks for commits made by other connections (other processes). */
  pollIntervalMs: z.int().min(1).max(60_000).default(100),
  /** How long a write waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
  /** The clock for creationTimestamp and deletionTimestamp (tests inject one). */
  now: z
    .custom<() => Date>(
      (value) => typeof value === 'function',
      'must be a function returning a Date',
    )
    .default(() => () => new Date()),
  /**
   * The data disk's reserve (see `DiskReserve`): when given, `create` answers
   * `insufficient_storage` while the disk is full; updates and deletes still go through.
   */
  storageReserve: z
    .custom<StorageReserve>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        'checkRoom' in value &&
        typeof value.checkRoom === 'function',
      'must be a StorageReserve',
    )
    .optional(),
  /**
   * The sync primitive of the group commit (see `WalSync`), made once for the WAL's path. The
   * default fdatasyncs the `-wal` file, shared with the file's other connections in this process;
   * tests inject a slow or counting fake.
   */
  walSync: z
    .custom<WalSyncFactory>((value) => typeof value === 'function', 'must be a function')
    .optional(),
});
export type SqliteStoreOptions = z.input<typeof SqliteStoreOptions>;
export type ResolvedSqliteStoreOptions = z.output<typeof SqliteStoreOptions>;

export function resolveOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  return parseInput(SqliteStoreOptions, options, 'SQLite store options');
}
