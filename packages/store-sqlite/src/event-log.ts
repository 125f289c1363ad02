import {
  decodeJsonRow,
  ErrorCode,
  type EventLog,
  EventOrder,
  type EventPage,
  EventQuery,
  followEventLog,
  PaddockError,
  parseInput,
  type RecordedEvent,
  ResourceEvent,
} from '@paddock/core';
import { z } from 'zod';
import { ChangeNotifier } from './change-notifier.ts';
import { Connection } from './connection.ts';

/** Options of `openSqliteEventLog`, validated once (`validation_failed` listing every problem). */
export const SqliteEventLogOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long a write waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
  /** Retention by count: each object (kind, namespace, name) keeps its newest this many events. */
  maxEventsPerObject: z.int().min(1).default(1_000),
  /** How often a `follow` checks for events recorded by other connections (other processes). */
  pollIntervalMs: z.int().min(1).max(60_000).default(100),
});
export type SqliteEventLogOptions = z.input<typeof SqliteEventLogOptions>;

const EventRow = z.object({ seq: z.int().positive(), json: z.string() });

function parseRow(row: unknown): RecordedEvent {
  const decoded = decodeJsonRow(row, EventRow, ResourceEvent, 'events');
  return { ...decoded.document, seq: decoded.row.seq };
}

/**
 * Resource events in SQLite (see `EventLog` in @paddock/core for the contract), in the `events`
 * table of the store's file, so they outlive a restart. Each `record` is one IMMEDIATE
 * transaction that also trims the object's history to `maxEventsPerObject`; `prune` removes
 * events by age. History is per name, not per uid: events of a deleted object stay (and count
 * toward the budget of a new object with the same name) until retention removes them. A
 * `follow` wakes right after each `record` through this log commits; other connections' commits
 * are noticed by polling `PRAGMA data_version` (one timer per log, only while someone follows).
 */
export class SqliteEventLog implements EventLog {
  readonly path: string;
  readonly #connection: Connection;
  readonly #maxEventsPerObject: number;
  readonly #notifier: ChangeNotifier;

  constructor(options: SqliteEventLogOptions) {
    const resolved = parseInput(SqliteEventLogOptions, options, 'SQLite event log options');
    this.path = resolved.path;
    this.#maxEventsPerObject = resolved.maxEventsPerObject;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
    this.#notifier = new ChangeNotifier(
      () => this.#connection.dataVersion(),
      resolved.pollIntervalMs,
    );
  }

  async record(event: ResourceEvent): Promise<void> {
    const input = parseInput(ResourceEvent, event, 'resource event');
    const object = [input.kind, input.namespace ?? '', input.name] as const;
    const context = { operation: 'record event', object: object.join('/') };
    await this.#connection.writeSoon(context, () => {
      this.#connection
        .statement(
          `INSERT INTO events (kind, namespace, name, uid, time_ms, json)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(...object, input.uid ?? null, Date.parse(input.timestamp), JSON.stringify(input));
      this.#connection
        .statement(
          `DELETE FROM events WHERE kind = ? AND namespace = ? AND name = ? AND seq <= (
             SELECT seq FROM events WHERE kind = ? AND namespace = ? AND name = ?
             ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
        )
        .run(...object, ...object, this.#maxEventsPerObject);
    });
    this.#notifier.notify();
  }

  async query(query: EventQuery = {}): Promise<EventPage> {
    const parsed = parseInput(EventQuery, query, 'event query');
    const isNewestFirst = parsed.order === EventOrder.NewestFirst;
    const clauses: string[] = [];
    const params: Array<string | number> = [];
    const add = (clause: string, value: string | number) => {
      clauses.push(clause);
      params.push(value);
    };
    if (parsed.kind !== undefined) add('kind = ?', parsed.kind);
    if (parsed.namespace !== undefined) add('namespace = ?', parsed.namespace);
    if (parsed.name !== undefined) add('name = ?', parsed.name);
    if (parsed.uid !== undefined) add('uid = ?', parsed.uid);
    if (parsed.since !== undefined) add('time_ms >= ?', Date.parse(parsed.since));
    if (parsed.continue !== undefined) add(isNewestFirst ? 'seq < ?' : 'seq > ?', parsed.continue);
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql = `SELECT seq, json FROM events ${where}
                 ORDER BY seq ${isNewestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.#connection.run({ operation: 'query events' }, () =>
      this.#connection.statement(sql).all(...params, parsed.limit + 1),
    );
    const items = rows.slice(0, parsed.limit).map(parseRow);
    const last = items.at(-1);
    return rows.length > parsed.limit && last !== undefined
      ? { items, continue: last.seq }
      : { items };
  }

  follow(query: EventQuery, signal: AbortSignal): AsyncIterable<RecordedEvent> {
    const feed = {
      subscribe: (listener: () => void) => this.#notifier.subscribe(listener),
      isOpen: () => this.#connection.isOpen,
    };
    return followEventLog(this, feed, query, signal);
  }

  /** Number of follows in progress (each holds one subscription to this log's commits). */
  get followers(): number {
    return this.#notifier.size;
  }

  /** Retention by age: deletes events whose timestamp is before `olderThan`; returns how many. */
  async prune(olderThan: Date): Promise<number> {
    const cutoffMs = olderThan.getTime();
    if (!Number.isFinite(cutoffMs)) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'prune: olderThan is not a valid date', {
        issues: [{ path: 'olderThan', message: 'is not a valid date' }],
      });
    }
    return this.#connection.write({ operation: 'prune events' }, () => {
      const result = this.#connection
        .statement('DELETE FROM events WHERE time_ms < ?')
        .run(cutoffMs);
      return Number(result.changes);
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
}

/**
 * Opens the event log in the SQLite file at `options.path` (creating and migrating it when
 * needed; usually the same file as `openSqliteStore`). Throws `validation_failed` for bad
 * options, `internal` for an unusable file, `timeout` when another writer holds it too long.
 */
export async function openSqliteEventLog(options: SqliteEventLogOptions): Promise<SqliteEventLog> {
  return new SqliteEventLog(options);
}
