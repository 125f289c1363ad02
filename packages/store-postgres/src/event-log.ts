import {
  decodeJsonRow,
  ErrorCode,
  type EventLog,
  EventOrder,
  type EventPage,
  EventQuery,
  followEventLog,
  matchesEventQuery,
  PaddockError,
  parseInput,
  type RecordedEvent,
  ResourceEvent,
} from '@paddock/core';
import { z } from 'zod';
import { Channel } from './change-listener.ts';
import { CommitTail } from './commit-tail.ts';
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresEventLog`, validated once (`validation_failed` listing every problem). */
export const PostgresEventLogOptions = z
  .strictObject({
    ...SOURCE_SHAPE,
    /** Retention by count: each object (kind, namespace, name) keeps its newest this many events. */
    maxEventsPerObject: z.int().min(1).default(1_000),
  })
  .refine(...hasOneSource);
export type PostgresEventLogOptions = z.input<typeof PostgresEventLogOptions>;

const EventRow = z.object({ seq: z.int().positive(), json: z.string() });
const SeqRow = z.object({ last_seq: z.int().positive() });

function parseRow(row: unknown): RecordedEvent {
  const decoded = decodeJsonRow(row, EventRow, ResourceEvent, 'events');
  return { ...decoded.document, seq: decoded.row.seq };
}

/**
 * Resource events in PostgreSQL (see `EventLog` in @paddock/core for the contract), shared by
 * every replica. A `record` is one transaction: it takes the next `seq` from `log_heads` (whose
 * row lock orders commits, so `seq`s commit without gaps), inserts the event, trims the object's
 * history to `maxEventsPerObject` and NOTIFYs. Followers in this process wake right after the
 * commit and read the event from memory; other replicas' followers wake on the NOTIFY.
 */
export class PostgresEventLog implements EventLog {
  readonly #handle: LogHandle;
  readonly #maxEventsPerObject: number;
  readonly #tail = new CommitTail<RecordedEvent>();

  constructor(handle: LogHandle, maxEventsPerObject: number) {
    this.#handle = handle;
    this.#maxEventsPerObject = maxEventsPerObject;
  }

  async record(event: ResourceEvent): Promise<void> {
    const input = parseInput(ResourceEvent, event, 'resource event');
    this.#handle.assertOpen('record event');
    const object = [input.kind, input.namespace ?? '', input.name] as const;
    const context = { operation: 'record event', object: object.join('/') };
    const { database } = this.#handle;
    const seq = await database.transaction(context, async (tx) => {
      const [head] = await tx.query(
        `UPDATE log_heads SET last_seq = last_seq + 1 WHERE name = 'events' RETURNING last_seq`,
      );
      const next = SeqRow.parse(head).last_seq;
      await tx.query(
        `INSERT INTO events (seq, kind, namespace, name, uid, time_ms, json)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [next, ...object, input.uid ?? null, Date.parse(input.timestamp), JSON.stringify(input)],
      );
      await tx.query(
        `DELETE FROM events WHERE kind = $1 AND namespace = $2 AND name = $3 AND seq <= (
           SELECT seq FROM events WHERE kind = $1 AND namespace = $2 AND name = $3
           ORDER BY seq DESC LIMIT 1 OFFSET $4)`,
        [...object, this.#maxEventsPerObject],
      );
      await tx.notify(Channel.Events, '', next);
      return next;
    });
    this.#tail.add('', [{ ...input, seq }]);
    database.listener.wake(Channel.Events, '', seq);
  }

  async query(query: EventQuery = {}): Promise<EventPage> {
    const parsed = parseInput(EventQuery, query, 'event query');
    this.#handle.assertOpen('query events');
    const isNewestFirst = parsed.order === EventOrder.NewestFirst;
    const clauses: string[] = [];
    const params: Array<string | number> = [];
    const add = (column: string, operator: string, value: string | number) => {
      params.push(value);
      clauses.push(`${column} ${operator} $${params.length}`);
    };
    if (parsed.kind !== undefined) add('kind', '=', parsed.kind);
    if (parsed.namespace !== undefined) add('namespace', '=', parsed.namespace);
    if (parsed.name !== undefined) add('name', '=', parsed.name);
    if (parsed.uid !== undefined) add('uid', '=', parsed.uid);
    if (parsed.since !== undefined) add('time_ms', '>=', Date.parse(parsed.since));
    if (parsed.continue !== undefined) add('seq', isNewestFirst ? '<' : '>', parsed.continue);
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    params.push(parsed.limit + 1);
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql = `SELECT seq, json FROM events ${where}
                 ORDER BY seq ${isNewestFirst ? 'DESC' : 'ASC'} LIMIT $${params.length}`;
    const rows = await this.#handle.database.query({ operation: 'query events' }, sql, params);
    return page(rows.map(parseRow), parsed.limit);
  }

  follow(query: EventQuery, signal: AbortSignal): AsyncIterable<RecordedEvent> {
    const feed = {
      subscribe: (listener: () => void) => this.#handle.subscribe(Channel.Events, '', listener),
      isOpen: () => this.#handle.isOpen,
    };
    return followEventLog({ query: (q) => this.#followRead(q) }, feed, query, signal);
  }

  /** Number of follows in progress on this log's database. */
  get followers(): number {
    return this.#handle.database.listener.size;
  }

  /** Retention by age: deletes events whose timestamp is before `olderThan`; returns how many. */
  async prune(olderThan: Date): Promise<number> {
    const cutoffMs = olderThan.getTime();
    if (!Number.isFinite(cutoffMs)) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'prune: olderThan is not a valid date', {
        issues: [{ path: 'olderThan', message: 'is not a valid date' }],
      });
    }
    this.#handle.assertOpen('prune events');
    const rows = await this.#handle.database.query(
      { operation: 'prune events' },
      'WITH gone AS (DELETE FROM events WHERE time_ms < $1 RETURNING 1) SELECT count(*) AS n FROM gone',
      [cutoffMs],
    );
    return z.object({ n: z.number() }).parse(rows[0]).n;
  }

  /** Ends every follow of this log; closes the database when the log opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  /** A follow's read: from this process's recent commits when they cover it, else the table. */
  async #followRead(query: EventQuery = {}): Promise<EventPage> {
    const parsed = parseInput(EventQuery, query, 'event follow query');
    const highest = this.#handle.database.listener.highestKnown(Channel.Events, '');
    const recent = this.#tail.after('', parsed.continue ?? 0, highest);
    if (recent === undefined) return this.query(query);
    const matching = recent.filter((event) => matchesEventQuery(event, parsed));
    return page(matching.slice(0, parsed.limit + 1), parsed.limit);
  }
}

function page(items: RecordedEvent[], limit: number): EventPage {
  const kept = items.slice(0, limit);
  const last = kept.at(-1);
  return items.length > limit && last !== undefined
    ? { items: kept, continue: last.seq }
    : { items: kept };
}

/**
 * Opens the event log in PostgreSQL: on its own database from `url` (created and migrated when
 * needed, closed with the log) or on a shared `database`. Throws `validation_failed` for bad
 * options, `runtime_unavailable` when the server cannot be reached, `internal` for a refused
 * login, a missing database or a newer schema.
 */
export async function openPostgresEventLog(
  options: PostgresEventLogOptions,
): Promise<PostgresEventLog> {
  const resolved = parseInput(PostgresEventLogOptions, options, 'PostgreSQL event log options');
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresEventLog(new LogHandle(database, isOwned), resolved.maxEventsPerObject);
}
