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
import { Channel } from './change-listener.ts';
import { CommitTail } from './commit-tail.ts';
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresAuditLog`, validated once (`validation_failed` listing every problem). */
export const PostgresAuditLogOptions = z.strictObject(SOURCE_SHAPE).refine(...hasOneSource);
export type PostgresAuditLogOptions = z.input<typeof PostgresAuditLogOptions>;

const AuditRow = z.object({ seq: z.int(), time_ms: z.int(), json: z.string() });
const FollowRow = z.object({ seq: z.int(), json: z.string() });
const SeqRow = z.object({ last_seq: z.int().positive() });
/** Records read per step of a `follow`. */
const FOLLOW_PAGE = 1_000;

type Sequenced = { seq: number; record: AuditRecord };

/**
 * The audit log in PostgreSQL (see `AuditLog` in @paddock/core for the contract), shared by every
 * replica. An append is one transaction: the next `seq` from `log_heads` (whose row lock orders
 * commits, so a follower reading by `seq` skips nothing), the row, a NOTIFY; it resolves once
 * committed. Queries page newest first by `(time, seq)`. A `follow` starts at the newest record
 * this replica knows of and reads by `seq` (append order); it wakes right after an append through
 * this process commits (reading it from memory) and on other replicas' NOTIFYs.
 */
export class PostgresAuditLog implements AuditLog {
  readonly #handle: LogHandle;
  readonly #tail = new CommitTail<Sequenced>(FOLLOW_PAGE);

  constructor(handle: LogHandle) {
    this.#handle = handle;
  }

  async append(record: AuditRecord): Promise<void> {
    const input = parseInput(AuditRecord, record, 'audit record');
    this.#handle.assertOpen('append audit record');
    const { target } = input;
    const isText = typeof target === 'string';
    const { database } = this.#handle;
    const context = { operation: 'append audit record', object: input.id };
    const seq = await database.transaction(context, async (tx) => {
      const [head] = await tx.query(
        `UPDATE log_heads SET last_seq = last_seq + 1 WHERE name = 'audit_log' RETURNING last_seq`,
      );
      const next = SeqRow.parse(head).last_seq;
      await tx.query(
        `INSERT INTO audit_log (seq, id, time_ms, actor, action, result, target_kind,
           target_namespace, target_name, target_text, json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          next,
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
        ],
      );
      await tx.notify(Channel.Audit, '', next);
      return next;
    });
    this.#tail.add('', [{ seq, record: input }]);
    database.listener.wake(Channel.Audit, '', seq);
  }

  async query(query: AuditQuery = {}): Promise<AuditPage> {
    const { where, params, limit } = auditQuerySql(query);
    this.#handle.assertOpen('query audit log');
    const rows = await this.#handle.database.query(
      { operation: 'query audit log' },
      `SELECT seq, time_ms, json FROM audit_log ${where}
       ORDER BY time_ms DESC, seq DESC LIMIT $${params.length + 1}`,
      [...params, limit + 1],
    );
    const page = rows
      .slice(0, limit)
      .map((row) => decodeJsonRow(row, AuditRow, AuditRecord, 'audit_log'));
    const last = page.at(-1);
    const items = page.map((row) => row.document);
    if (rows.length <= limit || last === undefined) return { items };
    const cursor = { v: 1 as const, timeMs: last.row.time_ms, seq: last.row.seq };
    return { items, continue: encodeAuditCursor(cursor) };
  }

  async prune(olderThan: Date): Promise<number> {
    const cutoffMs = olderThan.getTime();
    if (!Number.isFinite(cutoffMs)) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'prune: olderThan is not a valid date', {
        issues: [{ path: 'olderThan', message: 'is not a valid date' }],
      });
    }
    this.#handle.assertOpen('prune audit log');
    const rows = await this.#handle.database.query(
      { operation: 'prune audit log' },
      'WITH gone AS (DELETE FROM audit_log WHERE time_ms < $1 RETURNING 1) SELECT count(*) AS n FROM gone',
      [cutoffMs],
    );
    return z.object({ n: z.number() }).parse(rows[0]).n;
  }

  follow(signal: AbortSignal): AsyncIterable<AuditRecord> {
    const { listener } = this.#handle.database;
    // From now: the newest record this replica knows committed (read at open, then kept current
    // by its own appends and every NOTIFY), so no round trip stands between the call and the start.
    const start = listener.highestKnown(Channel.Audit, '');
    const source = {
      read: async (after: number) => this.#readAfter(after),
      subscribe: (wake: () => void) => this.#handle.subscribe(Channel.Audit, '', wake),
      isOpen: () => this.#handle.isOpen,
    };
    return followLog(source, start, signal);
  }

  /** Ends every follow of this log; closes the database when the log opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  async #readAfter(after: number) {
    const highest = this.#handle.database.listener.highestKnown(Channel.Audit, '');
    let recent = this.#tail.after('', after, highest);
    if (recent === undefined) {
      const rows = await this.#handle.database.query(
        { operation: 'follow audit log' },
        'SELECT seq, json FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
        [after, FOLLOW_PAGE],
      );
      recent = rows.map((row) => {
        const decoded = decodeJsonRow(row, FollowRow, AuditRecord, 'audit_log');
        return { seq: decoded.row.seq, record: decoded.document };
      });
    }
    return {
      items: recent.map((row) => row.record),
      next: recent.at(-1)?.seq ?? after,
      hasMore: recent.length === FOLLOW_PAGE,
    };
  }
}

/**
 * Opens the audit log in PostgreSQL: on its own database from `url` (created and migrated when
 * needed, closed with the log) or on a shared `database`. Throws `validation_failed` for bad
 * options, `runtime_unavailable` when the server cannot be reached, `internal` for a refused
 * login, a missing database or a newer schema.
 */
export async function openPostgresAuditLog(
  options: PostgresAuditLogOptions,
): Promise<PostgresAuditLog> {
  const resolved = parseInput(PostgresAuditLogOptions, options, 'PostgreSQL audit log options');
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresAuditLog(new LogHandle(database, isOwned));
}
