import {
  decodeJsonRow,
  ErrorCode,
  followLog,
  PaddockError,
  parseInput,
  parseTranscriptEvents,
  type RunEventLog,
  RunEventReadOptions,
  RunLogCursor,
  type StoredTranscriptEvent,
  TranscriptEvent,
} from '@paddock/core';
import { z } from 'zod';
import { ChangeNotifier } from './change-notifier.ts';
import { Connection } from './connection.ts';

/** Options of `openSqliteRunEventLog`, validated once (`validation_failed` listing every problem). */
export const SqliteRunEventLogOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long an append waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
  /** How often a `follow` checks for appends made by other connections (other processes). */
  pollIntervalMs: z.int().min(1).max(60_000).default(100),
});
export type SqliteRunEventLogOptions = z.input<typeof SqliteRunEventLogOptions>;

const RunUid = z.string().min(1).max(256);
const Seq = z.int().nonnegative();

const EventRow = z.object({ seq: z.int().positive(), json: z.string() });
const MaxSeqRow = z.object({ last: z.int().nonnegative() });
const CursorRow = z.object({ source_offset: z.int().nonnegative() });
/** Events read per step of a `follow`. */
const FOLLOW_PAGE = 1_000;

function parseRow(row: unknown): StoredTranscriptEvent {
  const decoded = decodeJsonRow(row, EventRow, TranscriptEvent, 'run_events');
  return { ...decoded.document, seq: decoded.row.seq };
}

/**
 * Run transcripts in SQLite (see `RunEventLog` in @paddock/core for the contract), in the
 * `run_events` and `run_cursors` tables of the store's file. An append is one IMMEDIATE
 * transaction that reads the run's last `seq` under the write lock, so appends through any number
 * of connections or processes number each run's events without gaps or repeats. A `follow` wakes
 * at once for appends through this log and notices other connections' commits by polling
 * `PRAGMA data_version` every `pollIntervalMs` (one timer per log, only while someone follows).
 */
export class SqliteRunEventLog implements RunEventLog {
  readonly path: string;
  readonly #connection: Connection;
  readonly #notifier: ChangeNotifier;

  constructor(options: SqliteRunEventLogOptions) {
    const resolved = parseInput(SqliteRunEventLogOptions, options, 'SQLite run event log options');
    this.path = resolved.path;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
    this.#notifier = new ChangeNotifier(
      () => this.#connection.dataVersion(),
      resolved.pollIntervalMs,
    );
  }

  async append(
    runUid: string,
    events: readonly TranscriptEvent[],
    cursor?: RunLogCursor,
  ): Promise<StoredTranscriptEvent[]> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    const parsed = parseTranscriptEvents(events);
    const position =
      cursor === undefined
        ? undefined
        : parseInput(RunLogCursor, cursor, 'run log cursor', 'cursor');
    if (parsed.length === 0 && position === undefined) return [];
    const context = { operation: 'append run events', object: uid };
    const stored = await this.#connection.write(context, () => {
      let seq = this.#lastSeq(uid);
      const insert = this.#connection.statement(
        'INSERT INTO run_events (run_uid, seq, type, ts, json) VALUES (?, ?, ?, ?, ?)',
      );
      const out: StoredTranscriptEvent[] = [];
      for (const { seq: _ignored, ...event } of parsed) {
        seq += 1;
        insert.run(uid, seq, event.type, event.ts, JSON.stringify(event));
        out.push({ ...event, seq });
      }
      if (position !== undefined) {
        this.#connection
          .statement(
            `INSERT INTO run_cursors (run_uid, source_offset) VALUES (?, ?)
             ON CONFLICT (run_uid) DO UPDATE SET source_offset = excluded.source_offset`,
          )
          .run(uid, position.sourceOffset);
      }
      return out;
    });
    if (stored.length > 0) this.#notifier.notify();
    return stored;
  }

  async read(
    runUid: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<StoredTranscriptEvent[]> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    const { afterSeq, limit } = parseInput(RunEventReadOptions, options, 'run event read options');
    return this.#read(uid, afterSeq, limit);
  }

  async cursor(runUid: string): Promise<RunLogCursor> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    const row = this.#connection.run({ operation: 'read run cursor', object: uid }, () =>
      this.#connection
        .statement('SELECT source_offset FROM run_cursors WHERE run_uid = ?')
        .get(uid),
    );
    if (row === undefined) return { sourceOffset: 0 };
    const parsed = CursorRow.safeParse(row);
    if (!parsed.success) {
      throw new PaddockError(ErrorCode.Internal, 'a corrupt row in the run_cursors table', {
        runUid: uid,
      });
    }
    return { sourceOffset: parsed.data.source_offset };
  }

  async lastSeq(runUid: string): Promise<number> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    return this.#connection.run({ operation: 'read last run seq', object: uid }, () =>
      this.#lastSeq(uid),
    );
  }

  /**
   * Yields stored events after `afterSeq`, then waits for appends (no busy loop: it sleeps until
   * this log appends or the poll sees another connection commit). Ends quietly when `signal`
   * aborts or the log is closed; a failing read ends it with that error.
   */
  async *follow(
    runUid: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterable<StoredTranscriptEvent> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    const after = parseInput(Seq, afterSeq, 'follow position', 'afterSeq');
    const source = {
      read: async (position: number) => {
        const items = this.#read(uid, position, FOLLOW_PAGE);
        return {
          items,
          next: items.at(-1)?.seq ?? position,
          hasMore: items.length === FOLLOW_PAGE,
        };
      },
      subscribe: (listener: () => void) => this.#notifier.subscribe(listener),
      isOpen: () => this.#connection.isOpen,
    };
    yield* followLog(source, after, signal);
  }

  async remove(runUid: string): Promise<void> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    await this.#connection.write({ operation: 'remove run events', object: uid }, () => {
      this.#connection.statement('DELETE FROM run_events WHERE run_uid = ?').run(uid);
      this.#connection.statement('DELETE FROM run_cursors WHERE run_uid = ?').run(uid);
    });
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

  #read(uid: string, afterSeq: number, limit: number): StoredTranscriptEvent[] {
    const rows = this.#connection.run({ operation: 'read run events', object: uid }, () =>
      this.#connection
        .statement(
          'SELECT seq, json FROM run_events WHERE run_uid = ? AND seq > ? ORDER BY seq LIMIT ?',
        )
        .all(uid, afterSeq, limit),
    );
    return rows.map(parseRow);
  }

  #lastSeq(uid: string): number {
    const row = this.#connection
      .statement('SELECT coalesce(max(seq), 0) AS last FROM run_events WHERE run_uid = ?')
      .get(uid);
    return MaxSeqRow.parse(row).last;
  }
}

/**
 * Opens the run event log in the SQLite file at `options.path` (creating and migrating it when
 * needed; usually the same file as `openSqliteStore`). Throws `validation_failed` for bad
 * options, `internal` for an unusable file, `timeout` when another writer holds it too long.
 */
export async function openSqliteRunEventLog(
  options: SqliteRunEventLogOptions,
): Promise<SqliteRunEventLog> {
  return new SqliteRunEventLog(options);
}
