/**
 * An in-process mutex per key: `acquire(key)` resolves when every earlier holder of the same key
 * released, with the function that releases it (idempotent). Keys with no holder take no memory.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }

  /** How many keys have a holder or waiters (for tests of cleanup). */
  get size(): number {
    return this.#tails.size;
  }
}
