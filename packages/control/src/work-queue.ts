/**
 * A keyed work queue as controllers use: a key is processed by one worker at a time, a key added
 * while queued is processed once, a key added while processing is processed again afterwards, and
 * failures retry with exponential backoff. Delayed adds (timeouts) keep the earliest deadline.
 */
export class WorkQueue {
  readonly #worker: (key: string) => Promise<{ requeueAfterMs?: number }>;
  readonly #concurrency: number;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #queued = new Set<string>();
  readonly #order: string[] = [];
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  readonly #idleWaiters: Array<() => void> = [];
  #closed = false;

  constructor(options: {
    worker: (key: string) => Promise<{ requeueAfterMs?: number }>;
    concurrency?: number;
    onError?: (key: string, error: unknown) => void;
  }) {
    this.#worker = options.worker;
    this.#concurrency = options.concurrency ?? 4;
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

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

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
      this.#onError(key, error);
      this.addAfter(key, Math.min(30_000, 50 * 2 ** Math.min(failures, 10)));
    } finally {
      this.#active.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }
}
