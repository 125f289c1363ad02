import type { WatchEvent } from '@paddock/core';

const noop = (): void => {};

/**
 * A watch as an async iterator over a source generator that reads the API server's stream. It
 * ends on `return()`, on its signal, or when the store closes, resolving a pending `next()` with
 * `done` at once (an async generator's own `return()` would wait for the pending network read).
 * Ending aborts the source's signal, which closes its connection. A failure (`expired` and the
 * like) rejects one `next()` and ends the watch.
 */
export class KubeWatch<T> implements AsyncIterableIterator<WatchEvent<T>> {
  readonly #abort = new AbortController();
  readonly #events: AsyncGenerator<WatchEvent<T>, void, undefined>;
  readonly #ended: Promise<IteratorResult<WatchEvent<T>, undefined>>;
  readonly #signal: AbortSignal | undefined;
  readonly #onEnd: (watch: KubeWatch<T>) => void;
  #markEnded: () => void = noop;
  #isDone = false;
  #isReading = false;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    source: (signal: AbortSignal) => AsyncGenerator<WatchEvent<T>, void, undefined>,
    signal: AbortSignal | undefined,
    onEnd: (watch: KubeWatch<T>) => void,
  ) {
    this.#onEnd = onEnd;
    this.#ended = new Promise((resolve) => {
      this.#markEnded = () => resolve({ done: true, value: undefined });
    });
    this.#events = source(this.#abort.signal);
    this.#signal = signal;
    if (signal?.aborted === true) this.#end();
    else signal?.addEventListener('abort', this.#end);
  }

  /** The signal the source reads with: aborted when the watch ends. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get isDone(): boolean {
    return this.#isDone;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next event; concurrent calls are answered in order. */
  next(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    const result = this.#tail.then(() => this.#step());
    this.#tail = result.then(noop, noop);
    return result;
  }

  /** Ends the watch, also while a `next()` is waiting. */
  async return(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    this.#end();
    return { done: true, value: undefined };
  }

  /** Ends the watch (the store is closing). */
  close(): void {
    this.#end();
  }

  async #step(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    if (this.#isDone) return { done: true, value: undefined };
    this.#isReading = true;
    try {
      const result = await Promise.race([this.#events.next(), this.#ended]);
      if (result.done === true) this.#end();
      if (this.#isDone || result.done === true) return { done: true, value: undefined };
      return result;
    } catch (error) {
      const isEnding = this.#isDone;
      this.#end();
      if (isEnding) return { done: true, value: undefined };
      throw error;
    } finally {
      this.#isReading = false;
    }
  }

  readonly #end = (): void => {
    if (this.#isDone) return;
    this.#isDone = true;
    this.#signal?.removeEventListener('abort', this.#end);
    this.#abort.abort();
    this.#markEnded();
    // A source suspended at a yield runs its cleanup now; one in the middle of a read ends by
    // itself, its connection closed by the abort.
    if (!this.#isReading) this.#events.return().catch(noop);
    this.#onEnd(this);
  };
}
