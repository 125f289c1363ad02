import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  isPaddockError,
  type Kind,
  matchesLabels,
  type ObjectKey,
  PaddockError,
  parseLabelSelector,
  type ResourceOf,
  type ResourceStore,
  WatchEventType,
} from '@paddock/core';
import { queueKey } from './queue-key.ts';

/** What an informer tells its handlers: the three watch events, and `RESYNC` for an unchanged object. */
export const InformerEventType = { ...WatchEventType, Resync: 'RESYNC' } as const;
export type InformerEventType = (typeof InformerEventType)[keyof typeof InformerEventType];

/**
 * One change as the handlers see it; `previous` is the object as the cache held it before the
 * change, when it held one (on a relist after a lost watch: as it was before the gap).
 */
export type InformerEvent<T> = { type: InformerEventType; object: T; previous?: T };
export type InformerHandler<T> = (event: InformerEvent<T>) => void;

export type InformerOptions = {
  /** Every cached object is handed to the handlers again this often (`RESYNC`); never when absent. */
  resyncMs?: number;
  /** The wait before watching again after a failure other than `expired` (default 1 s). */
  retryMs?: number;
  log?: (line: string) => void;
};

/**
 * Keeps a local copy of every object of one kind, as client-go's shared informer: it lists, then
 * watches from the list's resourceVersion, resuming from the last version it saw when a watch
 * ends; a watch that is `expired` (410 Gone on Kubernetes) lists again and tells the handlers what
 * changed meanwhile. Handlers run after the cache has the change. Cached objects are frozen:
 * readers copy before they change one.
 */
export class Informer<K extends Kind> {
  readonly kind: K;
  readonly #store: ResourceStore;
  readonly #options: InformerOptions;
  readonly #cache = new Map<string, ResourceOf<K>>();
  readonly #handlers: Array<InformerHandler<ResourceOf<K>>> = [];
  readonly #abort = new AbortController();
  readonly #synced: Promise<void>;
  #markSynced: () => void = () => {};
  #version = '';
  #loop: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(store: ResourceStore, kind: K, options: InformerOptions = {}) {
    this.#store = store;
    this.kind = kind;
    this.#options = options;
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  /** Adds a handler; add handlers before `start()` to see the first list as `ADDED` events. */
  subscribe(handler: InformerHandler<ResourceOf<K>>): void {
    this.#handlers.push(handler);
  }

  /** Lists (the cache is filled when this resolves), then watches in the background. */
  async start(): Promise<void> {
    if (this.#loop) return this.#synced;
    const listed = this.#relist();
    // A stop during the first list waits for the list, whether or not it succeeds.
    this.#loop = listed.catch(() => {});
    try {
      await listed;
    } catch (error) {
      this.#loop = undefined;
      throw error;
    }
    this.#markSynced();
    this.#loop = this.#watch();
    const { resyncMs } = this.#options;
    if (resyncMs !== undefined && resyncMs > 0) {
      this.#resync = setInterval(() => this.resync(), resyncMs);
      this.#resync.unref();
    }
  }

  /** Resolves once the first list is in the cache. */
  synced(): Promise<void> {
    return this.#synced;
  }

  /** The store version the cache reflects (a list or the last watch event). */
  get resourceVersion(): string {
    return this.#version;
  }

  /** The cached object, or undefined. */
  get(key: ObjectKey): ResourceOf<K> | undefined {
    return this.#cache.get(queueKey(key));
  }

  /** The cached object, or the store's `not_found` error. */
  require(key: ObjectKey): ResourceOf<K> {
    const object = this.get(key);
    if (object !== undefined) return object;
    const where = key.namespace ? `${key.namespace}/${key.name}` : key.name;
    const details = { kind: this.kind, name: key.name };
    throw new PaddockError(
      ErrorCode.NotFound,
      `${this.kind} ${where} not found`,
      key.namespace === undefined ? details : { ...details, namespace: key.namespace },
    );
  }

  /** Cached objects in one namespace (all when absent) matching a label selector, by namespace and name. */
  list(options: { namespace?: string | undefined; labelSelector?: string | undefined } = {}) {
    const selector = parseLabelSelector(options.labelSelector ?? '');
    const items: Array<ResourceOf<K>> = [];
    for (const object of this.#cache.values()) {
      if (options.namespace !== undefined && object.metadata.namespace !== options.namespace)
        continue;
      if (matchesLabels(selector, object.metadata.labels)) items.push(object);
    }
    return items.sort(byNamespaceAndName);
  }

  /**
   * Takes in the result of a write this process made, before its watch event arrives, so that the
   * next read sees it. The watch event still follows and still reaches the handlers. A write the
   * watch has already gone past (it wakes at commits, so a later change can arrive before this
   * write is acknowledged) leaves the newer object in place.
   */
  observe(object: ResourceOf<K>): void {
    const key = queueKey(object.metadata);
    if (this.#isPast(key, object.metadata.resourceVersion)) return;
    const isGone =
      object.metadata.deletionTimestamp !== undefined &&
      (object.metadata.finalizers ?? []).length === 0;
    if (isGone) this.#cache.delete(key);
    else this.#cache.set(key, deepFreeze(structuredClone(object)));
  }

  /**
   * Drops an object this process deleted (`version`: its version at the delete), before its watch
   * event arrives; not one the watch already has at a later version (made again since).
   */
  forget(key: ObjectKey, version?: string): void {
    if (!this.#isPast(queueKey(key), version)) this.#cache.delete(queueKey(key));
  }

  /** Whether the cached object at `key` is newer than `version` (numeric versions only). */
  #isPast(key: string, version: string | undefined): boolean {
    const cached = this.#cache.get(key)?.metadata.resourceVersion;
    if (cached === undefined || version === undefined) return false;
    if (!/^\d+$/.test(cached) || !/^\d+$/.test(version)) return false;
    return BigInt(cached) > BigInt(version);
  }

  /** Hands every cached object to the handlers again (what the periodic resync does). */
  resync(): void {
    for (const object of [...this.#cache.values()])
      this.#emit(InformerEventType.Resync, object, object);
  }

  /** Ends the watch; the cache stays readable. */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearInterval(this.#resync);
    await this.#loop;
  }

  async #watch(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        let delivered = 0;
        // Woken at each commit, not once it is durable: a controller may act while it syncs.
        const events = this.#store.watch(this.kind, {
          resourceVersion: this.#version,
          signal,
          wakeBeforeDurable: true,
        });
        for await (const event of events) {
          delivered++;
          const object = deepFreeze(event.object);
          this.#version = object.metadata.resourceVersion ?? this.#version;
          const key = queueKey(object.metadata);
          const previous = this.#cache.get(key);
          if (event.type === WatchEventType.Deleted) this.#cache.delete(key);
          else this.#cache.set(key, object);
          this.#emit(event.type, object, previous);
        }
        // A watch may end (a server's timeout): resume at once, unless it ends as soon as it starts.
        if (delivered === 0 && !signal.aborted) await this.#pause();
      } catch (error) {
        if (!signal.aborted) await this.#recover(error);
      }
    }
  }

  /** After a failed watch: list again when it expired, else log and wait before resuming. */
  async #recover(error: unknown): Promise<void> {
    let failure = error;
    if (isPaddockError(error, 'expired')) {
      try {
        await this.#relist();
        return;
      } catch (relistFailure) {
        failure = relistFailure;
      }
    }
    this.#options.log?.(`${this.kind} watch: ${(failure as Error).message}`);
    await this.#pause();
  }

  async #pause(): Promise<void> {
    const signal = this.#abort.signal;
    await sleep(this.#options.retryMs ?? 1000, undefined, { signal }).catch(() => {});
  }

  /** Replaces the cache with a fresh list and tells the handlers what changed (`RESYNC` if nothing). */
  async #relist(): Promise<void> {
    const list = await this.#store.list(this.kind);
    const listed = new Set<string>();
    for (const item of list.items) {
      const object = deepFreeze(item);
      const key = queueKey(object.metadata);
      listed.add(key);
      const cached = this.#cache.get(key);
      this.#cache.set(key, object);
      if (cached === undefined) this.#emit(InformerEventType.Added, object);
      else if (cached.metadata.resourceVersion !== object.metadata.resourceVersion)
        this.#emit(InformerEventType.Modified, object, cached);
      else this.#emit(InformerEventType.Resync, object, cached);
    }
    for (const [key, cached] of [...this.#cache]) {
      if (listed.has(key)) continue;
      this.#cache.delete(key);
      this.#emit(InformerEventType.Deleted, cached, cached);
    }
    this.#version = list.resourceVersion;
  }

  #emit(type: InformerEventType, object: ResourceOf<K>, previous?: ResourceOf<K>): void {
    const event = previous === undefined ? { type, object } : { type, object, previous };
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.#options.log?.(`${this.kind} handler: ${(error as Error).message}`);
      }
    }
  }
}

/** The store's list order. */
function byNamespaceAndName(
  a: { metadata: { namespace?: string | undefined; name?: string | undefined } },
  b: { metadata: { namespace?: string | undefined; name?: string | undefined } },
): number {
  const [x, y] = [a.metadata, b.metadata];
  return compare(x.namespace ?? '', y.namespace ?? '') || compare(x.name ?? '', y.name ?? '');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
