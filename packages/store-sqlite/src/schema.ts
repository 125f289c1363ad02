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
 * - `audit_log` (migration 2): one row per audit record; `seq` orders records appended in the same
 *   millisecond; the filterable fields are columns, the whole record is `json`.
 * - `api_keys` (migration 2): one row per API key, holding the SHA-256 `hash`, never the key;
 *   `last_used_at` is a column so `touch` need not rewrite `json`.
 * - `events` (migration 3): one row per resource event; `seq` (AUTOINCREMENT, so never reused
 *   even when every row is pruned) is the log order a watch resumes from; `namespace` is '' for
 *   cluster-scoped kinds; the object and time are columns, the whole event is `json`.
 * - `llm_calls` (migration 4): one row per model call the LLM gateway handled; the scopes that
 *   budgets total by (run, user, namespace, agent), the time and the summed amounts are columns,
 *   the whole record is `json`.
 * - `run_events` (migration 5): a run's transcript, numbered per run from 1 without gaps
 *   (`seq` is assigned under the write lock); `type` and `ts` are columns, the event is `json`.
 *   `run_cursors`: how far the pump feeding each run has read its source, in bytes.
 * - `credentials` (migration 6): one row per credential; `json` is its description (never the
 *   value), `ciphertext` its value under AES-256-GCM with the row's `iv` and `tag`.
 * - `llm_reservations` (migration 7): the budget held by each model call in flight (see
 *   `UsageLedger.reserve`), in the scope columns of `llm_calls`, until settled, released or
 *   `expires_ms`.
 * - `llm_usage_totals` (migration 8): running totals of `llm_calls` per scope (`run`, `user`,
 *   `namespace`, `agent` keyed `namespace/agent`) and UTC day (`day_ms`, its midnight), updated
 *   in the transaction of each call's record, so a budget check reads a few rows (see
 *   `usage-buckets.ts` in @paddock/core); filled from the calls already recorded.
 * - Migration 9 drops two indexes every recorded call paid a page write for and nothing reads:
 *   `llm_calls_by_run` (a run's totals are running totals now) and `llm_reservations_by_expiry`
 *   (the holds of calls in flight are few: lapsed ones are found by a scan).
 * - Migration 10 indexes `changes` by object (`changes_by_object`): a watch of one object reads
 *   its own changes, not every change since its version.
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
  `
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
    target_kind TEXT,
    target_namespace TEXT,
    target_name TEXT,
    target_text TEXT,
    json TEXT NOT NULL
  );
  CREATE INDEX audit_log_by_time ON audit_log (time_ms, seq);
  CREATE INDEX audit_log_by_actor ON audit_log (actor, time_ms, seq);
  CREATE INDEX audit_log_by_action ON audit_log (action, time_ms, seq);

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    owner_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    json TEXT NOT NULL,
    last_used_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX api_keys_by_owner ON api_keys (owner_id, created_at);
  `,
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT,
    time_ms INTEGER NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX events_by_object ON events (kind, namespace, name, time_ms);
  CREATE INDEX events_by_time ON events (time_ms);
  `,
  `
  CREATE TABLE llm_calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_uid TEXT NOT NULL,
    namespace TEXT NOT NULL,
    user_id TEXT NOT NULL,
    agent TEXT,
    time_ms INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX llm_calls_by_run ON llm_calls (run_uid);
  CREATE INDEX llm_calls_by_user ON llm_calls (user_id, time_ms);
  CREATE INDEX llm_calls_by_namespace ON llm_calls (namespace, time_ms);
  CREATE INDEX llm_calls_by_agent ON llm_calls (namespace, agent, time_ms);
  `,
  `
  CREATE TABLE run_events (
    run_uid TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq > 0),
    type TEXT NOT NULL,
    ts TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (run_uid, seq)
  ) WITHOUT ROWID;

  CREATE TABLE run_cursors (
    run_uid TEXT PRIMARY KEY,
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE credentials (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    json TEXT NOT NULL,
    iv BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    tag BLOB NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE llm_reservations (
    id TEXT PRIMARY KEY,
    run_uid TEXT NOT NULL,
    namespace TEXT NOT NULL,
    user_id TEXT NOT NULL,
    agent TEXT,
    time_ms INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    tokens INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX llm_reservations_by_expiry ON llm_reservations (expires_ms);
  `,
  `
  CREATE TABLE llm_usage_totals (
    scope TEXT NOT NULL CHECK (scope IN ('run', 'user', 'namespace', 'agent')),
    key TEXT NOT NULL,
    day_ms INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (scope, key, day_ms)
  ) WITHOUT ROWID;
  WITH calls AS (
    SELECT run_uid, user_id, namespace, agent, cost_usd, input_tokens, output_tokens,
      time_ms - ((time_ms % 86400000) + 86400000) % 86400000 AS day_ms
    FROM llm_calls
  )
  INSERT INTO llm_usage_totals
    SELECT 'run', run_uid, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens), count(*)
      FROM calls GROUP BY run_uid, day_ms
    UNION ALL
    SELECT 'user', user_id, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens), count(*)
      FROM calls GROUP BY user_id, day_ms
    UNION ALL
    SELECT 'namespace', namespace, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens),
        count(*)
      FROM calls GROUP BY namespace, day_ms
    UNION ALL
    SELECT 'agent', namespace || '/' || agent, day_ms, sum(cost_usd), sum(input_tokens),
        sum(output_tokens), count(*)
      FROM calls WHERE agent IS NOT NULL GROUP BY namespace, agent, day_ms;
  `,
  `
  DROP INDEX IF EXISTS llm_calls_by_run;
  DROP INDEX IF EXISTS llm_reservations_by_expiry;
  `,
  `
  CREATE INDEX IF NOT EXISTS changes_by_object ON changes (kind, namespace, name, rv);
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const UserVersionRow = z.object({ user_version: z.int().nonnegative() });

function userVersion(db: DatabaseSync): number {
  return UserVersionRow.parse(db.prepare('PRAGMA user_version').get()).user_version;
}

/**
 * The WAL's size once a checkpoint has copied it all: a burst of writes grows the file past this
 * (no checkpoint can keep up with it), and the next write after a complete checkpoint truncates
 * it back (`journal_size_limit`) instead of keeping the burst's size on disk until close. Four
 * times what a checkpoint is due at (`DEFAULT_CHECKPOINT_PAGES` of 4 KiB), so steady writing never
 * truncates and grows the file again.
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Sets the connection's pragmas: WAL so readers never block the writer, a busy timeout so
 * concurrent writers (other stores on the same file) wait instead of failing, and `synchronous =
 * NORMAL`: COMMIT does not fsync on the event loop (the WAL never corrupts in this mode; SQLite
 * still syncs at checkpoints). An acknowledged write survives power loss because the connection
 * acknowledges it only after its group commit has synced the WAL (`group-commit.ts`). No
 * automatic checkpoint: it would run inside a COMMIT, writing and syncing the database file on
 * the event loop; the file's `Checkpointer` runs them in a worker thread instead. The WAL shrinks
 * back to `WAL_SIZE_LIMIT_BYTES` after a burst.
 */
export function configureConnection(db: DatabaseSync, busyTimeoutMs: number): void {
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
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
