import type { DatabaseSync } from 'node:sqlite';
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';

/**
 * The schema, as an append-only list of migrations: migration `i` takes `PRAGMA user_version`
 * from `i` to `i + 1`. Never edit a released migration; append a new one.
 *
 * - `objects`: the current state, one row per object; `namespace` is '' for cluster-scoped kinds.
 * - `changes`: the append-only log a watch reads, one row per write (its `rv`), trimmed to the
 *   newest `changeRetention` rows. `prev_labels` holds the labels before a MODIFIED, so a watch
 *   with a selector can tell an object entering or leaving it.
 * - `store_state`: the global resourceVersion counter and the newest version pruned from `changes`.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE objects (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    resource_version INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
  ) WITHOUT ROWID;

  CREATE TABLE changes (
    rv INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
    json TEXT NOT NULL,
    prev_labels TEXT
  );

  CREATE TABLE store_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    resource_version INTEGER NOT NULL,
    compacted_version INTEGER NOT NULL
  );
  INSERT INTO store_state (id, resource_version, compacted_version) VALUES (1, 0, 0);
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const UserVersionRow = z.object({ user_version: z.int().nonnegative() });

function userVersion(db: DatabaseSync): number {
  return UserVersionRow.parse(db.prepare('PRAGMA user_version').get()).user_version;
}

/**
 * Sets the connection's pragmas: WAL so readers never block the writer, a busy timeout so
 * concurrent writers (other stores on the same file) wait instead of failing, full sync so an
 * acknowledged write survives power loss.
 */
export function configureConnection(db: DatabaseSync, busyTimeoutMs: number): void {
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
}

/**
 * Brings the database to `SCHEMA_VERSION`, each migration in its own IMMEDIATE transaction (so
 * two processes opening the same new file migrate it once). A newer file than this code knows is
 * refused with `internal` rather than misread.
 */
export function migrate(db: DatabaseSync): void {
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const version = userVersion(db);
      if (version > SCHEMA_VERSION) {
        throw new PaddockError(
          ErrorCode.Internal,
          `the database schema is version ${version}, newer than this Paddock understands (${SCHEMA_VERSION})`,
          { schemaVersion: version, supportedVersion: SCHEMA_VERSION },
        );
      }
      const migration = MIGRATIONS[version];
      if (migration === undefined) {
        db.exec('COMMIT');
        return;
      }
      db.exec(migration);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
