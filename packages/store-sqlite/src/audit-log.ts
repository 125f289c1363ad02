import {
  type AuditLog,
  type AuditPage,
  type AuditQuery,
  AuditRecord,
  decodeJsonRow,
  ErrorCode,
  encodeAuditCursor,
  followLog,
  PaddockError,
  parseInput,
} from '@paddock/core';
import { z } from 'zod';
import { auditQuerySql } from './audit-query.ts';
import { ChangeNotifier } from './change-notifier.ts';
import { Connection } from './connection.ts';

/** Options of `openSqliteAuditLog`, validated once (`validation_failed` listing every problem). */
export const SqliteAuditLogOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long an append waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
  /** How often a `follow` checks for records appended by other connections (other processes). */
  pollIntervalMs: z.int().min(1).max(60_000).default(100),
});
export type SqliteAuditLogOptions = z.input<typeof SqliteAuditLogOptions>;

const AuditRow = z.object({ seq: z.int(), time_ms: z.int(), json: z.string() });
const FollowRow = z.object({ seq: z.int(), json: z.string() });
const MaxSeqRow = z.object({ last: z.int() });
/** Records read per step of a `follow`. */
const FOLLOW_PAGE = 1_000;

function parseRow(row: unknown): { record: AuditRecord; seq: number; timeMs: number } {
  const decoded = decodeJsonRow(row, AuditRow, AuditRecord, 'audit_log');
  return { record: decoded.document, seq: decoded.row.seq, timeMs: decoded.row.time_ms };
}

/**
 * The audit log in SQLite (see `AuditLog` in @paddock/core for the contract), in the `audit_log`
 * table of the store's file. Each append commits in an IMMEDIATE transaction (shared with the
 * other writes of its event-loop turn) and resolves only after the group commit has synced the WAL
 * (see `Connection`): when `append` resolves the record survives a crash, power loss included. Queries page newest
 * first by `(time, seq)`, so records in the same millisecond keep their append order. A `follow`
 * reads by `seq` (append order) and wakes right after each append through this log commits;
 * other connections' commits are noticed by polling `PRAGMA data_version` while someone follows.
 */
export class SqliteAuditLog implements AuditLog {
  readonly path: string;
  readonly #connection: Connection;
  readonly #notifier: ChangeNotifier;

  constructor(options: SqliteAuditLogOptions) {
    const resolved = parseInput(SqliteAuditLogOptions, options, 'SQLite audit log options');
    this.path = resolved.path;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
    this.#notifier = new ChangeNotifier(
      () => this.#connection.dataVersion(),
      resolved.pollIntervalMs,
    );
  }

  async append(record: AuditRecord): Promise<void> {
    const input = parseInput(AuditRecord, record, 'audit record');
    const { target } = input;
    const isText = typeof target === 'string';
    const context = { operation: 'append audit record', object: input.id };
    await this.#connection.writeSoon(context, () => {
      this.#connection
        .statement(
          `INSERT INTO audit_log (id, time_ms, actor, action, result, target_kind,
             target_namespace, target_name, target_text, json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.id,
          Date.parse(input.time),
          input.actor,
          input.action,
          input.result,
          isText ? null : (target.kind ?? null),
          isText ? null : (target.namespace ?? null),
          isText ? null : (target.name ?? null),
          isText ? target : null,
          JSON.stringify(input),
        );
    });
    this.#notifier.notify();
  }

  async query(query: AuditQuery = {}): Promise<AuditPage> {
    const { where, params, limit } = auditQuerySql(query);
    const sql = `SELECT seq, time_ms, json FROM audit_log ${where}
                 ORDER BY time_ms DESC, seq DESC LIMIT ?`;
    const rows = this.#connection.run({ operation: 'query audit log' }, () =>
      this.#connection.statement(sql).all(...params, limit + 1),
    );
    const page = rows.slice(0, limit).map(parseRow);
    const last = page.at(-1);
    const items = page.map((row) => row.record);
    if (rows.length <= limit || last === undefined) return { items };
    return { items, continue: encodeAuditCursor({ v: 1, timeMs: last.timeMs, seq: last.seq }) };
  }

  async prune(olderThan: Date): Promise<number> {
    const cutoffMs = olderThan.getTime();
    if (!Number.isFinite(cutoffMs)) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'prune: olderThan is not a valid date', {
        issues: [{ path: 'olderThan', message: 'is not a valid date' }],
      });
    }
    return this.#connection.write({ operation: 'prune audit log' }, () => {
      const result = this.#connection
        .statement('DELETE FROM audit_log WHERE time_ms < ?')
        .run(cutoffMs);
      return Number(result.changes);
    });
  }

  follow(signal: AbortSignal): AsyncIterable<AuditRecord> {
    // From now: the position is the last record at the call, read before anything can be missed.
    const start = this.#connection.isOpen
      ? this.#connection.run({ operation: 'follow audit log' }, () =>
          MaxSeqRow.parse(
            this.#connection.statement('SELECT coalesce(max(seq), 0) AS last FROM audit_log').get(),
          ),
        ).last
      : 0;
    const source = {
      read: async (after: number) => this.#readAfter(after),
      subscribe: (listener: () => void) => this.#notifier.subscribe(listener),
      isOpen: () => this.#connection.isOpen,
    };
    return followLog(source, start, signal);
  }

  /** Closes the file; every `follow` in progress ends. */
  async close(): Promise<void> {
    if (!this.#connection.isOpen) return;
    const closed = this.#connection.close();
    // Wake the followers so they see the closed connection and end, then stop the poll timer.
    this.#notifier.notify();
    this.#notifier.close();
    await closed;
  }

  #readAfter(after: number) {
    const rows = this.#connection.run({ operation: 'follow audit log' }, () =>
      this.#connection
        .statement('SELECT seq, json FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?')
        .all(after, FOLLOW_PAGE),
    );
    const decoded = rows.map((row) => decodeJsonRow(row, FollowRow, AuditRecord, 'audit_log'));
    return {
      items: decoded.map((row) => row.document),
      next: decoded.at(-1)?.row.seq ?? after,
      hasMore: rows.length === FOLLOW_PAGE,
    };
  }
}

/**
 * Opens the audit log in the SQLite file at `options.path` (creating and migrating it when
 * needed; usually the same file as `openSqliteStore`). Throws `validation_failed` for bad
 * options, `internal` for an unusable file, `timeout` when another writer holds it too long.
 */
export async function openSqliteAuditLog(options: SqliteAuditLogOptions): Promise<SqliteAuditLog> {
  return new SqliteAuditLog(options);
}
