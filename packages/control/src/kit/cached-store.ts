import type {
  AnyResource,
  DeleteOptions,
  DeleteResult,
  Kind,
  ListOptions,
  ObjectKey,
  ResourceList,
  ResourceOf,
  ResourceStore,
  WatchEvent,
  WatchOptions,
} from '@paddock/core';
import type { Informer } from './informer.ts';

/**
 * The store as a reconciler sees it: `get` and `list` of a kind that has an informer read the
 * informer's cache (after its first list), every other read goes to the store; writes go to the
 * store and their results into the cache at once, so a reconcile that follows its own write reads
 * it rather than the version before (which a conditional write would refuse as a `conflict`).
 * A paged list (`limit`, `continue`) reads the store. `close` leaves the store open.
 */
export class CachedStore implements ResourceStore {
  readonly #store: ResourceStore;
  readonly #informerOf: (kind: Kind) => Informer<Kind> | undefined;

  /** `informerOf` names the informer of a kind, or undefined for a kind read from the store. */
  constructor(store: ResourceStore, informerOf: (kind: Kind) => Informer<Kind> | undefined) {
    this.#store = store;
    this.#informerOf = informerOf;
  }

  async get<K extends Kind>(kind: K, key: ObjectKey): Promise<ResourceOf<K>> {
    const informer = this.#informer(kind);
    if (informer === undefined) return this.#store.get(kind, key);
    await informer.synced();
    return informer.require(key);
  }

  async list<K extends Kind>(
    kind: K,
    options: ListOptions = {},
  ): Promise<ResourceList<ResourceOf<K>>> {
    const informer = this.#informer(kind);
    if (informer === undefined || options.limit !== undefined || options.continue !== undefined)
      return this.#store.list(kind, options);
    await informer.synced();
    return { items: informer.list(options), resourceVersion: informer.resourceVersion };
  }

  async create<T extends AnyResource>(resource: T): Promise<T> {
    return this.#observe(await this.#store.create(resource));
  }

  async update<T extends AnyResource>(resource: T): Promise<T> {
    return this.#observe(await this.#store.update(resource));
  }

  async updateStatus<T extends AnyResource>(resource: T): Promise<T> {
    return this.#observe(await this.#store.updateStatus(resource));
  }

  async delete<K extends Kind>(
    kind: K,
    key: ObjectKey,
    options?: DeleteOptions,
  ): Promise<DeleteResult<ResourceOf<K>>> {
    const result = await this.#store.delete(kind, key, options);
    const informer = this.#informer(kind);
    if (result.status === 'terminating') informer?.observe(result.object);
    else informer?.forget(key, result.object.metadata.resourceVersion);
    return result;
  }

  watch<K extends Kind>(kind: K, options?: WatchOptions): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    return this.#store.watch(kind, options);
  }

  async close(): Promise<void> {}

  #informer<K extends Kind>(kind: K): Informer<K> | undefined {
    return this.#informerOf(kind) as Informer<K> | undefined;
  }

  #observe<T extends AnyResource>(written: T): T {
    this.#informer(written.kind)?.observe(written);
    return written;
  }
}
