import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { freeBytesAt, releaseReserve } from './disk-reserve.ts';
import { type FailureContext, toPaddockError } from './errors.ts';
import { configureConnection, migrate } from './schema.ts';

const DataVersionRow = z.object({ data_version: z.int() });

/**
 * One SQLite connection: prepared statements cached by SQL text, and transactions whose failures
 * leave through `toPaddockError`. Writes take the write lock up front (BEGIN IMMEDIATE), so a
 * read-check-write sequence cannot interleave with another connection's; reads that span
 * several statements run in a deferred transaction, which in WAL mode is a consistent snapshot.
 * A statement or transaction that fails for lack of disk space releases the reserve file beside
 * the database, when there is one (see `DiskReserve`), and runs once more.
 */
export class Connection {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #statements = new Map<string, StatementSync>();
  #isOpen = true;

  constructor(path: string, busyTimeoutMs: number) {
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

  /** Runs `body` in a write transaction; commits when it returns, rolls back when it throws. */
  write<R>(context: FailureContext, body: () => R): R {
    return this.#retryOnFullDisk(() => this.#transaction('BEGIN IMMEDIATE', context, body));
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

  close(): void {
    if (!this.#isOpen) return;
    this.#isOpen = false;
    this.#statements.clear();
    this.#db.close();
  }

  #transaction<R>(begin: string, context: FailureContext, body: () => R): R {
    this.#checkOpen(context);
    try {
      this.#db.exec(begin);
      const result = body();
      this.#db.exec('COMMIT');
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
