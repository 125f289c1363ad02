/**
 * When to look at a key again without a change (`requeueAfterMs`, a timeout; absent: only on the
 * next change). `settledVersion`: the resourceVersion the pass left its object at with nothing
 * more to do for it (usually its own last write), so the watch event of exactly that version —
 * the echo of that write — starts no pass (see `Controller.watch`).
 */
export type ReconcileResult = { requeueAfterMs?: number; settledVersion?: string };

/** Retry delays of a failing key: `baseMs`, doubling with each failure in a row, at most `maxMs`. */
export type Backoff = { baseMs: number; maxMs: number };

export const DEFAULT_BACKOFF: Backoff = { baseMs: 100, maxMs: 30_000 };

/** How long to wait before the next attempt after `failures` failures in a row (1 or more). */
export function backoffDelayMs(failures: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  // The exponent is bounded so that a long run of failures cannot overflow to Infinity.
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
}

/** What a failure is followed by: the failures in a row so far and the wait before the retry. */
export type Retry = { failures: number; delayMs: number };

export type WorkQueueOptions = {
  worker: (key: string) => Promise<ReconcileResult>;
  /** Keys processed at once (default 4); one key is never processed twice at once. */
  concurrency?: number;
  backoff?: Backoff;
  onError?: (key: string, error: unknown, retry: Retry) => void;
};

/**
 * A keyed work queue as controllers use: a key is processed by one worker at a time, a key added
 * while queued is processed once, a key added while processing is processed again afterwards, and
 * failures retry with exponential backoff (capped; reset by a success). `requeueAfterMs` from the
 * worker adds the key again after that delay; delayed adds keep the earliest deadline.
 */
export class WorkQueue {
  readonly #worker: WorkQueueOptions['worker'];
  readonly #concurrency: number;
  readonly #backoff: Backoff;
  readonly #onError: NonNullable<WorkQueueOptions['onError']>;
  readonly #queued = new Set<string>();
  readonly #order: string[] = [];
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  readonly #idleWaiters: Array<() => void> = [];
  #closed = false;

  constructor(options: WorkQueueOptions) {
    this.#worker = options.worker;
    this.#concurrency = options.concurrency ?? 4;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#onError = options.onError ?? (() => {});
  }

  add(key: string): void {
    if (this.#closed) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#order.push(key);
    this.#pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#closed) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /**
   * Drops the pass queued behind the running one of `key` (by an `add` while it ran): what asked
   * for it is already handled.
   */
  cancelRerun(key: string): void {
    this.#dirty.delete(key);
  }

  /** Whether a worker is processing `key` now. */
  isActive(key: string): boolean {
    return this.#active.has(key);
  }

  /** Keys waiting for a worker (not those running or waiting for a retry or requeue). */
  get depth(): number {
    return this.#queued.size;
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops what is queued or delayed and waits for the keys being processed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queued.clear();
    this.#order.length = 0;
    await this.idle();
  }

  #pump(): void {
    while (this.#active.size < this.#concurrency && this.#order.length > 0) {
      const key = this.#order.shift() as string;
      this.#queued.delete(key);
      this.#active.add(key);
      void this.#run(key);
    }
    if (this.#queued.size === 0 && this.#active.size === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const { requeueAfterMs } = await this.#worker(key);
      this.#failures.delete(key);
      if (requeueAfterMs !== undefined && !this.#dirty.has(key)) this.addAfter(key, requeueAfterMs);
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delayMs = backoffDelayMs(failures, this.#backoff);
      this.#onError(key, error, { failures, delayMs });
      this.addAfter(key, delayMs);
    } finally {
      this.#active.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }
}
