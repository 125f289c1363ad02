import {
  type AuditLog,
  type AuditPage,
  type AuditQuery,
  AuditRecord,
  ErrorCode,
  PaddockError,
  parseInput,
} from '@paddock/core';
import { z } from 'zod';
import { auditQuerySql, encodeAuditCursor } from './audit-query.ts';
import { Connection } from './connection.ts';
import { decodeJsonRow } from './json-row.ts';

/** Options of `openSqliteAuditLog`, validated once (`validation_failed` listing every problem). */
export const SqliteAuditLogOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long an append waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
});
export type SqliteAuditLogOptions = z.input<typeof SqliteAuditLogOptions>;

const AuditRow = z.object({ seq: z.int(), time_ms: z.int(), json: z.string() });

function parseRow(row: unknown): { record: AuditRecord; seq: number; timeMs: number } {
  const decoded = decodeJsonRow(row, AuditRow, AuditRecord, 'audit_log');
  return { record: decoded.document, seq: decoded.row.seq, timeMs: decoded.row.time_ms };
}

/**
 * The audit log in SQLite (see `AuditLog` in @paddock/core for the contract), in the `audit_log`
 * table of the store's file. Each append is one IMMEDIATE transaction on a WAL connection with
 * `synchronous = FULL`: when `append` resolves the record survives a crash. Queries page newest
 * first by `(time, seq)`, so records in the same millisecond keep their append order.
 */
export class SqliteAuditLog implements AuditLog {
  readonly path: string;
  readonly #connection: Connection;

  constructor(options: SqliteAuditLogOptions) {
    const resolved = parseInput(SqliteAuditLogOptions, options, 'SQLite audit log options');
    this.path = resolved.path;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
  }

  async append(record: AuditRecord): Promise<void> {
    const input = parseInput(AuditRecord, record, 'audit record');
    const { target } = input;
    const isText = typeof target === 'string';
    const context = { operation: 'append audit record', object: input.id };
    this.#connection.write(context, () => {
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

  async close(): Promise<void> {
    this.#connection.close();
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
