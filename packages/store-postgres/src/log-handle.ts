import { ChangeFeed, ErrorCode, PaddockError } from '@paddock/core';
import type { Channel } from './change-listener.ts';
import type { PostgresDatabase } from './database.ts';

/**
 * What each log holds of its database: the database, whether the log owns it (opened it from a
 * URL, so closes it), and its own open state, so closing one log of a shared database ends that
 * log's follows only.
 */
export class LogHandle {
  readonly database: PostgresDatabase;
  readonly #isOwned: boolean;
  readonly #closing = new ChangeFeed();
  #isOpen = true;

  constructor(database: PostgresDatabase, isOwned: boolean) {
    this.database = database;
    this.#isOwned = isOwned;
  }

  get isOpen(): boolean {
    return this.#isOpen && this.database.isOpen;
  }

  /** Throws `internal` once the log is closed. */
  assertOpen(operation: string): void {
    if (!this.isOpen) {
      throw new PaddockError(ErrorCode.Internal, `${operation}: the log is closed`);
    }
  }

  /** Wakes `listener` after each commit to the stream, and when the log closes. */
  subscribe(channel: Channel, key: string, listener: () => void): () => void {
    const fromCommits = this.database.listener.subscribe(channel, key, listener);
    const fromClose = this.#closing.subscribe(listener);
    return () => {
      fromCommits();
      fromClose();
    };
  }

  /** Ends this log's follows; closes the database when the log owns it. */
  async close(): Promise<void> {
    if (!this.#isOpen) return;
    this.#isOpen = false;
    this.#closing.notify();
    if (this.#isOwned) await this.database.close();
  }
}
