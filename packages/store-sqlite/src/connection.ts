import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { acquireCheckpointer, type Checkpointer } from './checkpointer.ts';
import { freeBytesAt, releaseReserve } from './disk-reserve.ts';
import { type FailureContext, toPaddockError } from './errors.ts';
import { acquireGroupCommit, type GroupCommit, type WalSyncFactory } from './group-commit.ts';
import { configureConnection, migrate } from './schema.ts';

const DataVersionRow = z.object({ data_version: z.int() });

type QueuedWrite = {
  context: FailureContext;
  body: () => unknown;
  onCommitted: ((value: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/**
 * One SQLite connection: prepared statements cached by SQL text, and transactions whose failures
 * leave through `toPaddockError`. Writes take the write lock up front (BEGIN IMMEDIATE), so a
 * read-check-write sequence cannot interleave with another connection's; reads that span
 * several statements run in a deferred transaction, which in WAL mode is a consistent snapshot.
 * A statement or transaction that fails for lack of disk space releases the reserve file beside
 * the database, when there is one (see `DiskReserve`), and runs once more.
 *
 * Durability is a group commit (`group-commit.ts`): COMMIT itself does not sync (`synchronous =
 * NORMAL`), and `write` and `writeSoon` resolve only after an fdatasync of the WAL that started
 * after their commit, shared by every connection of this process to the file. Until then the
 * commit is visible to readers but not acknowledged; a process crash keeps it (it is in the OS's
 * page cache), only power loss or an OS crash before the sync can lose it.
 *
 * Checkpoints (copying the WAL into the database file) run off the event loop, in the file's
 * `Checkpointer`, shared like the group commit: SQLite's automatic one is off on every connection.
 */
export class Connection {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #statements = new Map<string, StatementSync>();
  readonly #queued: QueuedWrite[] = [];
  readonly #group: GroupCommit;
  readonly #releaseGroup: () => void;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #releaseCheckpointer: (checkpointHere?: () => void) => Promise<void>;
  #commits = 0;
  #isOpen = true;
  #closed: Promise<void> | undefined;

  /**
   * Opens (creating and migrating) the database at `path`. `checkpointPages`: how many frames
   * the WAL gathers before a checkpoint (see `Checkpointer`; the first connection to the file in
   * this process sets it).
   */
  constructor(
    path: string,
    busyTimeoutMs: number,
    walSync?: WalSyncFactory,
    checkpointPages?: number,
  ) {
    const context = { operation: `open ${path}` };
    this.#path = path;
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      configureConnection(db, busyTimeoutMs);
      migrate(db);
    } catch (error) {
      db?.close();
      throw this.#failure(error, context);
    }
    this.#db = db;
    const { group, release } = acquireGroupCommit(path, walSync);
    this.#group = group;
    this.#releaseGroup = release;
    const checkpoints = acquireCheckpointer(path, { busyTimeoutMs, pages: checkpointPages });
    this.#checkpointer = checkpoints.checkpointer;
    this.#releaseCheckpointer = checkpoints.release;
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `body` in a write transaction now; commits when it returns, rolls back when it throws.
   * Resolves once the commit is durable (see the class); rejects with the body's failure.
   */
  write<R>(context: FailureContext, body: () => R): Promise<R> {
    let result: R;
    try {
      result = this.writeWithoutSync(context, body);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#durable(context).then(() => result);
  }

  /**
   * `write` for what may be lost to power loss (never to a process crash): commits without
   * waiting for a sync, e.g. budget holds that would only have lapsed.
   */
  writeWithoutSync<R>(context: FailureContext, body: () => R): R {
    return this.#retryOnFullDisk(() => this.#transaction('BEGIN IMMEDIATE', context, body));
  }

  /**
   * Runs `body` in a write transaction shared with every other `writeSoon` of this turn of the
   * event loop: one commit for all of them, each isolated by a savepoint, so one that throws (a
   * conflict, say) is undone alone and rejects alone. Resolves once its commit is durable (the
   * group commit); the batch's failures reject then too. Under load this keeps commits few:
   * writes issued by many callbacks of one turn land together. `onCommitted` is called with the
   * body's value as soon as its batch has committed, before that commit is durable (to wake
   * readers that may act on a write while it syncs).
   */
  writeSoon<R>(
    context: FailureContext,
    body: () => R,
    onCommitted?: (value: R) => void,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queued.push({ context, body, onCommitted, resolve, reject } as QueuedWrite);
      if (this.#queued.length === 1) setImmediate(() => this.#flush());
    });
  }

  /** Number of write transactions committed (for tests of `writeSoon`). */
  get commits(): number {
    return this.#commits;
  }

  /** Number of WAL syncs started by this connection's group commit (for tests). */
  get syncs(): number {
    return this.#group.syncs;
  }

  /** The file's checkpointer (for tests); none for `:memory:`. */
  get checkpointer(): Checkpointer | undefined {
    return this.#checkpointer;
  }

  /** Runs `body` in a read transaction: every statement sees the same snapshot. */
  read<R>(context: FailureContext, body: () => R): R {
    return this.#retryOnFullDisk(() => this.#transaction('BEGIN', context, body));
  }

  /** Runs a single-statement `body` outside any transaction (one statement is atomic anyway). */
  run<R>(context: FailureContext, body: () => R): R {
    this.#checkOpen(context);
    return this.#retryOnFullDisk(() => {
      try {
        return body();
      } catch (error) {
        throw this.#failure(error, context);
      }
    });
  }

  /** Changes whenever another connection commits to the file (`PRAGMA data_version`). */
  dataVersion(): number {
    return DataVersionRow.parse(this.statement('PRAGMA data_version').get()).data_version;
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }

  /**
   * Refuses new work at once; resolves once the file is released. The last connection of this
   * process to the file waits for its checkpointer's final checkpoint first (with this
   * connection still open, so that closing it finds the WAL copied: SQLite checkpoints when the
   * last connection to a file closes, which would run here, on the event loop); where no worker
   * ran (a short-lived store), that checkpoint runs here, on this connection. Never rejects.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#isOpen = false;
    this.#statements.clear();
    const checkpointHere = () => this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    this.#closed = this.#releaseCheckpointer(checkpointHere).then(() => {
      this.#db.close();
      this.#releaseGroup();
    });
    return this.#closed;
  }

  #flush(): void {
    const batch = this.#queued.splice(0);
    const context = { operation: `${batch.length} writes` };
    let outcomes: Array<{ value: unknown } | { error: PaddockError }>;
    try {
      outcomes = this.#retryOnFullDisk(() =>
        this.#transaction('BEGIN IMMEDIATE', context, () =>
          batch.map((write) => {
            this.#db.exec('SAVEPOINT write');
            try {
              const value = write.body();
              this.#db.exec('RELEASE write');
              return { value };
            } catch (error) {
              this.#db.exec('ROLLBACK TO write');
              this.#db.exec('RELEASE write');
              const failure = this.#failure(error, write.context);
              // A full disk fails the whole batch, which runs once more after the reserve is freed.
              if (isPaddockError(failure, ErrorCode.InsufficientStorage)) throw failure;
              return { error: failure };
            }
          }),
        ),
      );
    } catch (error) {
      for (const write of batch) write.reject(this.#failure(error, write.context));
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome !== undefined && !('error' in outcome)) write.onCommitted?.(outcome.value);
    });
    // The batch settles together, once its commit is durable (failed writes reject then too).
    const isAnyCommitted = outcomes.some((outcome) => !('error' in outcome));
    const durable = isAnyCommitted ? this.#durable(context) : Promise.resolve();
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome !== undefined && 'error' in outcome) {
        const reject = () => write.reject(outcome.error);
        durable.then(reject, reject);
      } else durable.then(() => write.resolve(outcome?.value), write.reject);
    });
  }

  /** After a commit: resolves once it is durable; a failed sync becomes `internal`. */
  #durable(context: FailureContext): Promise<void> {
    return this.#group.durable().catch((error: unknown) => {
      throw new PaddockError(
        ErrorCode.Internal,
        `${context.operation}: committed, but syncing the write-ahead log failed: ${String(error)}`,
      );
    });
  }

  #transaction<R>(begin: string, context: FailureContext, body: () => R): R {
    this.#checkOpen(context);
    try {
      this.#db.exec(begin);
      const result = body();
      this.#db.exec('COMMIT');
      if (begin !== 'BEGIN') {
        this.#commits += 1;
        this.#checkpointer?.noteCommit();
      }
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw this.#failure(error, context);
    }
  }

  #retryOnFullDisk<R>(attempt: () => R): R {
    try {
      return attempt();
    } catch (error) {
      if (!isPaddockError(error, ErrorCode.InsufficientStorage) || !releaseReserve(this.#path)) {
        throw error;
      }
      return attempt();
    }
  }

  #failure(error: unknown, context: FailureContext): PaddockError {
    return toPaddockError(error, { ...context, freeBytes: () => freeBytesAt(dirname(this.#path)) });
  }

  #checkOpen(context: FailureContext): void {
    if (!this.#isOpen) {
      throw new PaddockError(ErrorCode.Internal, `${context.operation}: the store is closed`);
    }
  }
}
