/**
 * Push, not poll: how a log's readers learn that it grew. A writer calls `notify()` right after
 * its commit; every subscribed reader is woken inside that call, so a follower sees a new entry
 * within the same turn of the event loop, with no timer in between. Logs and stores share it
 * (sandbox events, run transcripts, audit); a backend that also sees other processes' writes
 * calls `notify()` for those too.
 */
export class ChangeFeed {
  readonly #listeners = new Set<() => void>();

  /** Calls `listener` after every commit until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Wakes every subscribed listener, synchronously. */
  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Number of subscribed listeners. */
  get size(): number {
    return this.#listeners.size;
  }
}

/** One read of a log after a position. */
export type LogPage<T> = {
  /** The entries after the position, in log order. */
  items: T[];
  /** Where the next read starts after (the last entry looked at, matching or not). */
  next: number;
  /** A full page: more may be waiting behind it. */
  hasMore: boolean;
};

/** What `followLog` reads: pages of a log, the feed that says it grew, whether it is open. */
export type FollowSource<T> = {
  read(after: number): Promise<LogPage<T>>;
  subscribe(listener: () => void): () => void;
  /** False once the log is closed: the follow ends. */
  isOpen(): boolean;
};

/**
 * Every entry after `after`, then each new one as soon as the log's feed reports a commit, until
 * `signal` aborts or the log closes (the iterator then ends without an error). It sleeps on the
 * feed between commits: no busy loop, no timer. A failing read ends it with that error; whatever
 * way it ends, its listeners are removed.
 */
export async function* followLog<T>(
  source: FollowSource<T>,
  after: number,
  signal: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  if (signal.aborted || !source.isOpen()) return;
  let position = after;
  let hasNews = true;
  let wake: (() => void) | undefined;
  const onChange = () => {
    hasNews = true;
    wake?.();
  };
  const unsubscribe = source.subscribe(onChange);
  signal.addEventListener('abort', onChange);
  try {
    while (!signal.aborted && source.isOpen()) {
      if (!hasNews) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      hasNews = false;
      const page = await source.read(position);
      if (page.hasMore) hasNews = true;
      position = page.next;
      for (const item of page.items) {
        if (signal.aborted) return;
        yield item;
      }
    }
  } finally {
    signal.removeEventListener('abort', onChange);
    unsubscribe();
  }
}
