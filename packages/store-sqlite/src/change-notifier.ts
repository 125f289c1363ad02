/**
 * Wakes watches when the `changes` table may have grown. A write through this store names what
 * it changed (`hint`, e.g. the object's key) so that a listener can stay asleep for changes it
 * does not watch; a wake without a hint (polling) means anything may have changed.
 *
 * - Writes through this store call `notify()` once their commit is durable (the connection's group
 *   commit): in-process watches wake at once. (A woken watch reads every committed row, so it may
 *   see another batch still syncing: that write survives a process crash, only power loss can
 *   undo it, and level-based reconcilers then converge on what the file holds.) Early listeners
 *   (`isEarly`, the controllers' watches) are woken by `notifyCommitted()` at the commit instead.
 * - Writes through any other connection to the same file (another store instance, another
 *   process) are noticed by polling `PRAGMA data_version`, which changes exactly when another
 *   connection has committed. One timer per store, running only while a watch is subscribed.
 */
export class ChangeNotifier<Hint = never> {
  /** Each listener, and whether it wakes at commits (`notifyCommitted`) rather than once durable. */
  readonly #listeners = new Map<(hint?: Hint) => void, boolean>();
  readonly #readDataVersion: () => number;
  readonly #pollIntervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #dataVersion = 0;

  constructor(readDataVersion: () => number, pollIntervalMs: number) {
    this.#readDataVersion = readDataVersion;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /**
   * Calls `listener` after every possible change until the returned function is called: once a
   * change is durable, or at its commit when `isEarly`.
   */
  subscribe(listener: (hint?: Hint) => void, isEarly = false): () => void {
    this.#listeners.set(listener, isEarly);
    if (this.#timer === undefined) {
      this.#dataVersion = this.#readDataVersion();
      this.#timer = setInterval(() => this.#poll(), this.#pollIntervalMs);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /**
   * A change is durable: wakes every listener but the early ones, telling each what changed when
   * it is known. Without a hint (anything may have changed) the early ones wake too.
   */
  notify(hint?: Hint): void {
    for (const [listener, isEarly] of [...this.#listeners])
      if (!isEarly || hint === undefined) listener(hint);
  }

  /** A change has committed (it is not durable yet): wakes the early listeners. */
  notifyCommitted(hint: Hint): void {
    for (const [listener, isEarly] of [...this.#listeners]) if (isEarly) listener(hint);
  }

  /** Number of subscribed watches (0 means no timer is running). */
  get size(): number {
    return this.#listeners.size;
  }

  /** Stops polling and forgets every listener. */
  close(): void {
    this.#listeners.clear();
    this.#stop();
  }

  #poll(): void {
    let version: number;
    try {
      version = this.#readDataVersion();
    } catch {
      // A failing read (the file is locked for a checkpoint, say): wake the watches, whose own
      // read reports a lasting failure as an error to their consumer.
      this.notify();
      return;
    }
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.notify();
    }
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
