import type { WatchEvent } from '@paddock/core';

/** One read of the change log after `afterVersion`. */
export type ChangeBatch<T> = {
  events: WatchEvent<T>[];
  /** The version the next read starts after (every change up to it has been seen). */
  lastVersion: number;
  /** More changes are waiting beyond this batch. */
  hasMore: boolean;
};

/** Where a stream reads from: the store's change log and its notifier. */
export type ChangeSource<T> = {
  read(afterVersion: number): ChangeBatch<T>;
  subscribe(listener: () => void): () => void;
};

const noop = (): void => {};

/**
 * A live watch as an async iterator. It reads the change log whenever it is told the log may have
 * grown, buffers the filtered events, and ends on `return()`, on its abort signal, or when the
 * store closes, resolving a pending `next()` with `done` and leaving no listener or timer behind.
 * A failed read (for instance `expired`) rejects `next()` once and ends the stream.
 */
export class WatchStream<T> implements AsyncIterableIterator<WatchEvent<T>> {
  readonly #source: ChangeSource<T>;
  readonly #buffer: WatchEvent<T>[] = [];
  readonly #onEnd: (stream: WatchStream<T>) => void;
  #lastVersion: number;
  #failure: unknown;
  #isDirty = true;
  #isDone = false;
  #wake: (() => void) | undefined;
  #unsubscribe: () => void = noop;
  #signal: AbortSignal | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    source: ChangeSource<T>,
    start: { afterVersion: number; signal?: AbortSignal | undefined; failure?: unknown },
    onEnd: (stream: WatchStream<T>) => void,
  ) {
    this.#source = source;
    this.#lastVersion = start.afterVersion;
    this.#failure = start.failure;
    this.#onEnd = onEnd;
    if (start.signal?.aborted === true) {
      this.#end();
      return;
    }
    // A stream that failed at its start only reports the failure: nothing to listen to.
    if (start.failure !== undefined) return;
    this.#signal = start.signal;
    this.#signal?.addEventListener('abort', this.#abort);
    this.#unsubscribe = source.subscribe(() => {
      this.#isDirty = true;
      this.#wake?.();
    });
  }

  /** Whether the stream has ended (returned, aborted, failed or closed). */
  get isDone(): boolean {
    return this.#isDone;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Next event; concurrent calls are answered in order. */
  next(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    const result = this.#tail.then(() => this.#step());
    this.#tail = result.then(noop, noop);
    return result;
  }

  /** Ends the stream, also while a `next()` is waiting. */
  async return(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    this.#end();
    return { done: true, value: undefined };
  }

  /** Ends the stream (the store is closing). */
  close(): void {
    this.#end();
  }

  async #step(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    for (;;) {
      const event = this.#buffer.shift();
      if (event !== undefined) return { done: false, value: event };
      if (this.#isDone) return { done: true, value: undefined };
      if (this.#failure !== undefined) {
        const failure = this.#failure;
        this.#end();
        throw failure;
      }
      if (this.#isDirty) {
        this.#isDirty = false;
        this.#fill();
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  #fill(): void {
    try {
      const batch = this.#source.read(this.#lastVersion);
      this.#lastVersion = batch.lastVersion;
      this.#buffer.push(...batch.events);
      if (batch.hasMore) this.#isDirty = true;
    } catch (error) {
      this.#failure = error;
    }
  }

  readonly #abort = (): void => {
    this.#end();
  };

  #end(): void {
    if (this.#isDone) return;
    this.#isDone = true;
    this.#buffer.length = 0;
    this.#unsubscribe();
    this.#signal?.removeEventListener('abort', this.#abort);
    this.#wake?.();
    this.#onEnd(this);
  }
}
