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
import { ChangeOp, Channel } from './change-listener.ts';
import { CommitTail } from './commit-tail.ts';
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresRunEventLog`, validated once (`validation_failed` listing every problem). */
export const PostgresRunEventLogOptions = z.strictObject(SOURCE_SHAPE).refine(...hasOneSource);
export type PostgresRunEventLogOptions = z.input<typeof PostgresRunEventLogOptions>;

const RunUid = z.string().min(1).max(256);
const Seq = z.int().nonnegative();

const EventRow = z.object({ seq: z.int().positive(), json: z.string() });
const HeadRow = z.object({ last_seq: z.int().nonnegative(), source_offset: z.int().nonnegative() });
/** Events read per step of a `follow`. */
const FOLLOW_PAGE = 1_000;

function parseRow(row: unknown): StoredTranscriptEvent {
  const decoded = decodeJsonRow(row, EventRow, TranscriptEvent, 'run_events');
  return { ...decoded.document, seq: decoded.row.seq };
}

/**
 * Run transcripts in PostgreSQL (see `RunEventLog` in @paddock/core for the contract), shared by
 * every replica. An append is one transaction that bumps the run's row in `run_logs` (its lock
 * orders appends to one run, so each run is numbered from 1 without gaps or repeats, whichever
 * replica appends), inserts the events in one statement, records the cursor beside them and
 * NOTIFYs. Followers of the run in this process wake right after the commit and read the events
 * from memory; other replicas' followers wake on the NOTIFY and read the table.
 */
export class PostgresRunEventLog implements RunEventLog {
  readonly #handle: LogHandle;
  readonly #tail = new CommitTail<StoredTranscriptEvent>(FOLLOW_PAGE);

  constructor(handle: LogHandle) {
    this.#handle = handle;
    handle.database.listener.onRemoved((channel, key) => {
      if (channel === Channel.RunEvents) this.#tail.remove(key);
    });
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
    this.#handle.assertOpen('append run events');
    const { database } = this.#handle;
    const context = { operation: 'append run events', object: uid };
    const stored = await database.transaction(context, async (tx) => {
      // One statement takes the run's numbers and moves its cursor, holding its row's lock.
      const [head] = await tx.query(
        `INSERT INTO run_logs AS log (run_uid, last_seq, source_offset)
         VALUES ($1, $2, coalesce($3, 0))
         ON CONFLICT (run_uid) DO UPDATE
           SET last_seq = log.last_seq + $2,
               source_offset = coalesce($3, log.source_offset)
         RETURNING last_seq, source_offset`,
        [uid, parsed.length, position?.sourceOffset ?? null],
      );
      const last = HeadRow.parse(head).last_seq;
      const first = last - parsed.length + 1;
      const out = parsed.map(({ seq: _ignored, ...event }, i) => ({ ...event, seq: first + i }));
      if (out.length > 0) {
        await tx.query(
          `INSERT INTO run_events (run_uid, seq, type, ts, json)
           SELECT $1, seq, type, ts, json
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS e(seq, type, ts, json)`,
          [
            uid,
            out.map((e) => e.seq),
            out.map((e) => e.type),
            out.map((e) => e.ts),
            out.map(({ seq: _seq, ...event }) => JSON.stringify(event)),
          ],
        );
        await tx.notify(Channel.RunEvents, uid, last);
      }
      return out;
    });
    const last = stored.at(-1);
    if (last !== undefined) {
      this.#tail.add(uid, stored);
      database.listener.wake(Channel.RunEvents, uid, last.seq);
    }
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
    return { sourceOffset: (await this.#head(runUid)).source_offset };
  }

  async lastSeq(runUid: string): Promise<number> {
    return (await this.#head(runUid)).last_seq;
  }

  /**
   * Yields stored events after `afterSeq`, then waits for appends (no polling: it sleeps until
   * an append through this process commits or another replica's NOTIFY arrives). Ends quietly
   * when `signal` aborts or the log is closed; a failing read ends it with that error.
   */
  async *follow(
    runUid: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterable<StoredTranscriptEvent> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    const after = parseInput(Seq, afterSeq, 'follow position', 'afterSeq');
    const { listener } = this.#handle.database;
    const source = {
      read: async (position: number) => {
        const highest = listener.highestKnown(Channel.RunEvents, uid);
        const items =
          this.#tail.after(uid, position, highest) ??
          (await this.#read(uid, position, FOLLOW_PAGE));
        return {
          items,
          next: items.at(-1)?.seq ?? position,
          hasMore: items.length === FOLLOW_PAGE,
        };
      },
      subscribe: (listener: () => void) => this.#handle.subscribe(Channel.RunEvents, uid, listener),
      isOpen: () => this.#handle.isOpen,
    };
    yield* followLog(source, after, signal);
  }

  async remove(runUid: string): Promise<void> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    this.#handle.assertOpen('remove run events');
    const { database } = this.#handle;
    await database.transaction({ operation: 'remove run events', object: uid }, async (tx) => {
      await tx.query('DELETE FROM run_events WHERE run_uid = $1', [uid]);
      await tx.query('DELETE FROM run_logs WHERE run_uid = $1', [uid]);
      await tx.notify(Channel.RunEvents, uid, 0, ChangeOp.Removed);
    });
    this.#tail.remove(uid);
    database.listener.forget(Channel.RunEvents, uid);
  }

  /** Ends every follow of this log; closes the database when the log opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  async #read(uid: string, afterSeq: number, limit: number): Promise<StoredTranscriptEvent[]> {
    this.#handle.assertOpen('read run events');
    const rows = await this.#handle.database.query(
      { operation: 'read run events', object: uid },
      'SELECT seq, json FROM run_events WHERE run_uid = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [uid, afterSeq, limit],
    );
    return rows.map(parseRow);
  }

  async #head(runUid: string): Promise<z.infer<typeof HeadRow>> {
    const uid = parseInput(RunUid, runUid, 'run uid', 'runUid');
    this.#handle.assertOpen('read run log');
    const [row] = await this.#handle.database.query(
      { operation: 'read run log', object: uid },
      'SELECT last_seq, source_offset FROM run_logs WHERE run_uid = $1',
      [uid],
    );
    if (row === undefined) return { last_seq: 0, source_offset: 0 };
    const parsed = HeadRow.safeParse(row);
    if (!parsed.success) {
      throw new PaddockError(ErrorCode.Internal, 'a corrupt row in the run_logs table', {
        runUid: uid,
      });
    }
    return parsed.data;
  }
}

/**
 * Opens the run event log in PostgreSQL: on its own database from `url` (created and migrated
 * when needed, closed with the log) or on a shared `database`. Throws `validation_failed` for
 * bad options, `runtime_unavailable` when the server cannot be reached, `internal` for a refused
 * login, a missing database or a newer schema.
 */
export async function openPostgresRunEventLog(
  options: PostgresRunEventLogOptions,
): Promise<PostgresRunEventLog> {
  const resolved = parseInput(
    PostgresRunEventLogOptions,
    options,
    'PostgreSQL run event log options',
  );
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresRunEventLog(new LogHandle(database, isOwned));
}
