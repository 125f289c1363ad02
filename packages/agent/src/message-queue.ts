/**
 * User messages waiting for the loop: the prompt, lines of an interactive run's stdin, or the
 * daemon's `POST /messages`. `next()` waits for one; it answers `undefined` once the queue is
 * closed and empty (the run ends) or the signal aborts.
 */
export class MessageQueue {
  readonly #items: string[] = [];
  #isClosed = false;
  #wake: (() => void) | undefined;

  push(text: string): void {
    if (this.#isClosed) return;
    this.#items.push(text);
    this.#wake?.();
  }

  /** No more messages will come: `next()` drains what is queued, then answers `undefined`. */
  close(): void {
    this.#isClosed = true;
    this.#wake?.();
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  async next(signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const item = this.#items.shift();
      if (item !== undefined) return item;
      if (this.#isClosed) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
