import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AnyResource,
  API_VERSION,
  type DeleteOptions,
  type DeleteResult,
  ErrorCode,
  isPaddockError,
  type Kind,
  type ListOptions,
  type ObjectKey,
  PaddockError,
  parseLabelSelector,
  parseResource,
  type ResourceList,
  type ResourceOf,
  type ResourceStore,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
} from '@paddock/core';
import type { KubeClient, RawWatchEvent } from '../client/kube-client.ts';
import { KubeWatch } from './kube-watch.ts';
import {
  checkKind,
  describeObject,
  invalidField,
  resourcePath,
  scopedNamespace,
} from './resource-path.ts';
import { createBody, fromWire, writeBody } from './wire-object.ts';

/** How many times an unconditional write re-reads and retries after losing a race. */
const UNCONDITIONAL_ATTEMPTS = 16;

/** A watch whose stream ended sooner than this without an event waits this long before resuming. */
const RESUME_PAUSE_MS = 1000;

/** Where a watch reads: the collection's path and its selectors (`fieldSelector`: a name). */
type WatchStart = {
  path: string;
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
};

type RawList = {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Array<Record<string, unknown>>;
};

type Target<K extends Kind = Kind> = {
  kind: K;
  namespace: string | undefined;
  name: string;
  what: string;
};

/**
 * The ResourceStore on the Kubernetes API (Paddock's CRDs; see `ResourceStore` in @paddock/core
 * for the contract), through one `KubeClient`: its rate limit, retries and error translation.
 *
 * - Requests are validated with core's schemas before they are sent (errors name the field, as
 *   the SQLite store's do) and sent with `fieldValidation=Strict`; answers are reduced to core's
 *   `ObjectMeta` (no managedFields) and validated.
 * - `update`/`updateStatus` without a resourceVersion read the object and retry on conflict (the
 *   API refuses unconditional writes of custom resources). A conflict reads the object once more
 *   so that its details carry the current resourceVersion.
 * - `delete` reads the object first (the API answers a delete with a bare Status) and deletes it
 *   with that uid and resourceVersion as preconditions, so what it returns is what was deleted.
 *   Its resourceVersion is the object's last one, not the deletion's (the API does not tell).
 * - `watch` is one streamed request, resumed from the last version seen (bookmarks included) when
 *   the server ends it; 410 Gone is `expired`: the caller lists again and watches from the list's
 *   version (the controller kit's informer does). A watch from now first lists one item to learn
 *   the current version; writes this store issues after `watch()` returned wait for that, so the
 *   watch sees them.
 * - Where Kubernetes differs from the SQLite store: marking an object with finalizers for deletion
 *   bumps its generation (the API does); a paged list follows the API's storage-key order
 *   (`namespace/name`: a namespace that is a prefix of another may sort after it), one whole list
 *   is sorted by namespace, then name; on a cluster, objects go only into namespaces that exist.
 * - `close()` ends the watches; the client belongs to the caller.
 */
export class KubeStore implements ResourceStore {
  readonly client: KubeClient;
  readonly #watches = new Set<{ close(): void }>();
  readonly #starts = new Set<Promise<unknown>>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  async get<K extends Kind>(kind: K, key: ObjectKey): Promise<ResourceOf<K>> {
    const target = this.#target(kind, key.namespace, key.name, 'namespace');
    return this.#read(target);
  }

  async list<K extends Kind>(
    kind: K,
    options: ListOptions = {},
  ): Promise<ResourceList<ResourceOf<K>>> {
    checkKind(kind);
    const namespace = options.namespace
      ? scopedNamespace(kind, options.namespace, 'namespace')
      : undefined;
    const labelSelector = this.#selector(options.labelSelector);
    const limit = options.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw invalidField('limit', 'must be a whole number ≥ 0');
    }
    const raw = await this.client.request<RawList>('GET', resourcePath(kind, namespace), {
      query: {
        labelSelector,
        limit: limit === 0 ? undefined : limit,
        continue: options.continue || undefined,
      },
    });
    const items = (raw.items ?? []).map((item) => this.#decode<K>(item, kind));
    // The API orders by storage key (`namespace/name`); one whole list is put in the store's
    // order (namespace, then name), which differs only where a namespace is a prefix of another.
    if (limit === 0 && !options.continue) items.sort(byNamespaceAndName);
    const list: ResourceList<ResourceOf<K>> = {
      items,
      resourceVersion: raw.metadata?.resourceVersion ?? '',
    };
    if (raw.metadata?.continue) list.continue = raw.metadata.continue;
    return list;
  }

  async create<T extends AnyResource>(resource: T): Promise<T> {
    const input = parseResource(resource);
    const namespace = scopedNamespace(input.kind, input.metadata.namespace, 'metadata.namespace');
    if (input.metadata.name === undefined && input.metadata.generateName === undefined) {
      throw invalidField('metadata.name', 'is required (or metadata.generateName)');
    }
    await this.#fence();
    const raw = await this.client.request('POST', resourcePath(input.kind, namespace), {
      query: { fieldValidation: 'Strict' },
      body: createBody(input),
    });
    // The answer is `resource` as the API stored it: the caller's kind, so its type.
    return this.#decode(raw, input.kind) as T;
  }

  async update<T extends AnyResource>(resource: T): Promise<T> {
    return this.#write(resource, false);
  }

  async updateStatus<T extends AnyResource>(resource: T): Promise<T> {
    return this.#write(resource, true);
  }

  async delete<K extends Kind>(
    kind: K,
    key: ObjectKey,
    options: DeleteOptions = {},
  ): Promise<DeleteResult<ResourceOf<K>>> {
    const target = this.#target(kind, key.namespace, key.name, 'namespace');
    const path = resourcePath(kind, target.namespace, target.name);
    await this.#fence();
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read(target);
      const version = current.metadata.resourceVersion ?? '';
      if (options.resourceVersion !== undefined && options.resourceVersion !== version) {
        throw staleVersion(target.what, options.resourceVersion, version);
      }
      const hasFinalizers = (current.metadata.finalizers ?? []).length > 0;
      if (hasFinalizers && current.metadata.deletionTimestamp !== undefined) {
        return { status: 'terminating', object: current };
      }
      let raw: Record<string, unknown>;
      try {
        raw = await this.client.request('DELETE', path, {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            preconditions: { uid: current.metadata.uid, resourceVersion: version },
          },
        });
      } catch (error) {
        const isRace = isPaddockError(error, ErrorCode.Conflict);
        if (isRace && options.resourceVersion === undefined && attempt < UNCONDITIONAL_ATTEMPTS) {
          continue;
        }
        throw isRace ? await this.#withCurrentVersion(error, target) : error;
      }
      if (raw.kind === 'Status') return { status: 'deleted', object: current };
      const object = this.#decode<K>(raw, kind);
      const isHeld = (object.metadata.finalizers ?? []).length > 0;
      return { status: isHeld ? 'terminating' : 'deleted', object };
    }
  }

  watch<K extends Kind>(
    kind: K,
    options: WatchOptions = {},
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    let start: WatchStart | undefined;
    let failure: unknown;
    try {
      checkKind(kind);
      const namespace = options.namespace
        ? scopedNamespace(kind, options.namespace, 'namespace')
        : undefined;
      start = {
        path: resourcePath(kind, namespace),
        labelSelector: this.#selector(options.labelSelector),
        fieldSelector: options.name ? `metadata.name=${options.name}` : undefined,
      };
    } catch (error) {
      failure = error;
    }
    let from: Promise<string> | undefined;
    const watch = new KubeWatch<ResourceOf<K>>(
      (signal) => this.#stream(kind, start, failure, () => from, signal),
      options.signal,
      (ended) => this.#watches.delete(ended),
    );
    if (start !== undefined && !watch.isDone) {
      from = options.resourceVersion
        ? Promise.resolve(options.resourceVersion)
        : this.#currentVersion(start.path, watch.signal);
      from.catch(() => {}); // a watch never read leaves no unhandled rejection
      this.#watches.add(watch);
    }
    return watch;
  }

  /** Ends every watch. Idempotent; the client stays open (it is the caller's). */
  async close(): Promise<void> {
    for (const watch of [...this.#watches]) watch.close();
  }

  /** Streams changes after the version `from()` gives, resuming when the server ends a stream. */
  async *#stream<K extends Kind>(
    kind: K,
    start: WatchStart | undefined,
    failure: unknown,
    from: () => Promise<string> | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent<ResourceOf<K>>, void, undefined> {
    if (start === undefined) throw failure;
    const first = from();
    if (first === undefined) return;
    let version = await first;
    while (!signal.aborted) {
      const began = performance.now();
      let delivered = 0;
      const { labelSelector, fieldSelector } = start;
      const query = { resourceVersion: version, labelSelector, fieldSelector };
      for await (const event of this.client.watch(start.path, query, signal)) {
        const next = versionOf(event);
        if (next !== undefined) version = next;
        if (event.type === 'BOOKMARK') continue;
        delivered++;
        yield { type: event.type as WatchEventType, object: this.#decode<K>(event.object, kind) };
      }
      if (delivered === 0 && performance.now() - began < RESUME_PAUSE_MS && !signal.aborted) {
        await sleep(RESUME_PAUSE_MS, undefined, { signal }).catch(() => {});
      }
    }
  }

  /**
   * The API's current resourceVersion (a list of one item: a watch without a version would replay
   * everything as ADDED). Writes of this store wait for it (see `#fence`).
   */
  #currentVersion(path: string, signal: AbortSignal): Promise<string> {
    const version = this.client
      .request<RawList>('GET', path, { query: { limit: 1 }, signal })
      .then((list) => list.metadata?.resourceVersion ?? '');
    this.#starts.add(version);
    const forget = () => {
      this.#starts.delete(version);
    };
    version.then(forget, forget);
    return version;
  }

  /** Waits until every watch from now that started before this write knows where it starts. */
  async #fence(): Promise<void> {
    if (this.#starts.size > 0) await Promise.allSettled([...this.#starts]);
  }

  /** update or updateStatus: conditional when the resource names its version, else read-modify-write. */
  async #write<T extends AnyResource>(resource: T, isStatus: boolean): Promise<T> {
    const input = parseResource(resource);
    const { name } = input.metadata;
    if (name === undefined) throw invalidField('metadata.name', 'is required');
    const target = this.#target(input.kind, input.metadata.namespace, name, 'metadata.namespace');
    const path = resourcePath(input.kind, target.namespace, name, isStatus ? 'status' : undefined);
    const given = input.metadata.resourceVersion;
    await this.#fence();
    for (let attempt = 1; ; attempt++) {
      const version = given ?? (await this.#read(target)).metadata.resourceVersion ?? '';
      try {
        const raw = await this.client.request('PUT', path, {
          query: { fieldValidation: 'Strict' },
          body: writeBody(input, version, isStatus),
        });
        return this.#decode(raw, input.kind) as T;
      } catch (error) {
        const isRace = isPaddockError(error, ErrorCode.Conflict);
        if (isRace && given === undefined && attempt < UNCONDITIONAL_ATTEMPTS) continue;
        throw isRace ? await this.#withCurrentVersion(error, target) : error;
      }
    }
  }

  /** A conflict from the API, with the object's current resourceVersion in its details. */
  async #withCurrentVersion(error: PaddockError, target: Target): Promise<PaddockError> {
    const current = await this.#read(target);
    const currentResourceVersion = current.metadata.resourceVersion ?? '';
    return new PaddockError(
      ErrorCode.Conflict,
      `${target.what} has been modified (${error.message}); read it again and retry`,
      { ...error.details, currentResourceVersion },
    );
  }

  #target<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    field: string,
  ): Target<K> {
    checkKind(kind);
    const scoped = scopedNamespace(kind, namespace, field);
    if (name === '') throw invalidField('name', 'is required');
    return { kind, namespace: scoped, name, what: describeObject(kind, scoped, name) };
  }

  async #read<K extends Kind>(target: Target<K>): Promise<ResourceOf<K>> {
    const path = resourcePath(target.kind, target.namespace, target.name);
    try {
      return this.#decode(await this.client.request('GET', path), target.kind);
    } catch (error) {
      // Said as the SQLite store says it: the API's path is no business of the caller's.
      if (isPaddockError(error, ErrorCode.NotFound)) {
        throw new PaddockError(ErrorCode.NotFound, `${target.what} not found`, error.details);
      }
      throw error;
    }
  }

  /** The label selector to send: checked with core's parser (errors name the field), else undefined. */
  #selector(text: string | undefined): string | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    parseLabelSelector(text);
    return text;
  }

  #decode<K extends Kind>(raw: Record<string, unknown>, kind: K): ResourceOf<K> {
    // fromWire validates with the kind's schema: the object is a ResourceOf<K>.
    return fromWire(raw, API_VERSION, kind) as ResourceOf<K>;
  }
}

function staleVersion(what: string, given: string, current: string): PaddockError {
  return new PaddockError(
    ErrorCode.Conflict,
    `${what} has been modified: resourceVersion ${given} is not the current ${current}; read it again and retry`,
    { currentResourceVersion: current },
  );
}

function versionOf(event: RawWatchEvent): string | undefined {
  const metadata = event.object.metadata as { resourceVersion?: unknown } | undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}

function byNamespaceAndName(a: AnyResource, b: AnyResource): number {
  const [x, y] = [a.metadata, b.metadata];
  return compare(x.namespace ?? '', y.namespace ?? '') || compare(x.name ?? '', y.name ?? '');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
