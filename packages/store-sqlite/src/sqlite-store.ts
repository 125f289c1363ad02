import { randomUUID } from 'node:crypto';
import {
  type AnyResource,
  type DeleteOptions,
  type DeleteResult,
  ErrorCode,
  type Kind,
  type ListOptions,
  type ObjectKey,
  PaddockError,
  parseLabelSelector,
  parseResource,
  type ResourceList,
  type ResourceOf,
  type ResourceStore,
  type StorageReserve,
  type WatchEvent,
  WatchEventType,
  type WatchOptions,
} from '@paddock/core';
import { type ChangeFilter, ChangeLog } from './change-log.ts';
import { ChangeNotifier } from './change-notifier.ts';
import { Connection } from './connection.ts';
import { generateName } from './generate-name.ts';
import { parseListOptions, readPage } from './list-page.ts';
import {
  checkKind,
  describeKey,
  invalidField,
  type RowKey,
  rowKey,
  rowNamespace,
} from './object-key.ts';
import { ObjectTable } from './object-table.ts';
import { encodeObject } from './row-codec.ts';
import { resolveOptions, type SqliteStoreOptions } from './store-options.ts';
import { ValidatedRows } from './validated-rows.ts';
import { WatchStream } from './watch-stream.ts';
import {
  atVersion,
  checkPreconditions,
  createdObject,
  hasFinalizers,
  isReadyToDelete,
  isUnchanged,
  statusUpdatedObject,
  terminatingObject,
  toTimestamp,
  updatedObject,
} from './write-rules.ts';

function notFound(key: RowKey): PaddockError {
  const details = { kind: key.kind, name: key.name, namespace: key.namespace };
  return new PaddockError(ErrorCode.NotFound, `${describeKey(key)} not found`, details);
}

/** Where a created object lives (its name may have been generated). */
function keyOfCreated(object: AnyResource): RowKey {
  const namespace = object.metadata.namespace ?? '';
  return { kind: object.kind, namespace, name: object.metadata.name ?? '' };
}

/** Whether a watch with `filter` may see a change of the object at `key`. */
function isWatched(filter: ChangeFilter<Kind>, key: RowKey): boolean {
  return (
    key.kind === filter.kind &&
    (filter.namespace === undefined || key.namespace === filter.namespace) &&
    (filter.name === undefined || key.name === filter.name)
  );
}

function emptyBatch(afterVersion: number) {
  return { events: [], lastVersion: afterVersion, hasMore: false };
}

function parseVersion(text: string, path: string): number {
  const version = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(version))
    throw invalidField(path, `"${text}" is not a resourceVersion of this store`);
  return version;
}

/**
 * The embedded ResourceStore (see `ResourceStore` in @paddock/core for the contract): one SQLite
 * file in WAL mode, every write one IMMEDIATE transaction that updates `objects`, bumps the global
 * resourceVersion and appends to the `changes` log that watches read. Several stores, in one
 * process or several, may share a file: the write lock serializes their read-check-write
 * sequences, so optimistic concurrency holds across them.
 */
export class SqliteStore implements ResourceStore {
  /** The database file. */
  readonly path: string;
  readonly #connection: Connection;
  readonly #objects: ObjectTable;
  readonly #changes: ChangeLog;
  readonly #validated: ValidatedRows;
  /** Told the key of each change this store commits (see `#watchStart`'s `isWatched`). */
  readonly #notifier: ChangeNotifier<RowKey>;
  readonly #now: () => Date;
  readonly #reserve: StorageReserve | undefined;
  readonly #watches = new Set<{ close(): void }>();
  /** Changes a watch sleeps through (none of them its own) before it reads on anyway. */
  readonly #wakeAfterSkipped: number;

  constructor(options: SqliteStoreOptions) {
    const resolved = resolveOptions(options);
    this.path = resolved.path;
    this.#now = resolved.now;
    this.#reserve = resolved.storageReserve;
    this.#wakeAfterSkipped = Math.max(1, Math.floor(resolved.changeRetention / 4));
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs, resolved.walSync);
    const validated = new ValidatedRows();
    this.#validated = validated;
    this.#objects = new ObjectTable(this.#connection, validated);
    this.#changes = new ChangeLog(this.#connection, resolved.changeRetention, validated);
    this.#notifier = new ChangeNotifier<RowKey>(
      () => this.#connection.dataVersion(),
      resolved.pollIntervalMs,
    );
  }

  async get<K extends Kind>(kind: K, key: ObjectKey): Promise<ResourceOf<K>> {
    const at = { ...rowKey(checkKind(kind), key), kind };
    const object = this.#connection.run({ operation: 'get', object: describeKey(at) }, () =>
      this.#objects.find(at),
    );
    if (object === undefined) throw notFound(at);
    return object;
  }

  async list<K extends Kind>(
    kind: K,
    options: ListOptions = {},
  ): Promise<ResourceList<ResourceOf<K>>> {
    checkKind(kind);
    const query = parseListOptions(kind, options);
    return this.#connection.read({ operation: `list ${kind}` }, () =>
      readPage(this.#objects, query, String(this.#changes.state().resource_version)),
    );
  }

  async create<T extends AnyResource>(resource: T): Promise<T> {
    const input = parseResource(resource);
    const namespace = rowNamespace(input.kind, input.metadata.namespace, 'metadata.namespace');
    const { name: requested, generateName: prefix } = input.metadata;
    if (requested === undefined && prefix === undefined) {
      throw invalidField('metadata.name', 'is required (or metadata.generateName)');
    }
    const named = { kind: input.kind, namespace, name: requested ?? `${prefix ?? ''}*` };
    this.#reserve?.checkRoom(`create ${describeKey(named)}`);
    const isTaken = (name: string) => this.#objects.has({ kind: input.kind, namespace, name });
    const object = await this.#connection.writeSoon(
      { operation: 'create', object: input.kind },
      () => {
        const name = requested ?? generateName(prefix ?? '', isTaken);
        const key = { kind: input.kind, namespace, name };
        if (isTaken(name)) {
          throw new PaddockError(
            ErrorCode.AlreadyExists,
            `${describeKey(key)} already exists`,
            key,
          );
        }
        const version = this.#changes.nextVersion();
        const created = createdObject(input, {
          name,
          namespace,
          uid: randomUUID(),
          resourceVersion: String(version),
          creationTimestamp: toTimestamp(this.#now()),
        });
        this.#apply(WatchEventType.Added, key, version, created, undefined);
        return created;
      },
      (created) => this.#notifier.notifyCommitted(keyOfCreated(created)),
    );
    this.#notifier.notify(keyOfCreated(object));
    // `object` is `resource` validated and completed by the store: the caller's kind, so its type.
    return object as T;
  }

  async update<T extends AnyResource>(resource: T): Promise<T> {
    const input = parseResource(resource);
    const key = this.#keyOf(input);
    const what = describeKey(key);
    const object = await this.#connection.writeSoon(
      { operation: 'update', object: what },
      () => {
        const stored = this.#require(key);
        checkPreconditions(stored, input.metadata, what);
        const next = updatedObject(stored, input, what);
        if (isUnchanged(stored, next)) return stored;
        const version = this.#changes.nextVersion();
        const written = atVersion(next, String(version));
        const type = isReadyToDelete(written) ? WatchEventType.Deleted : WatchEventType.Modified;
        this.#apply(type, key, version, written, stored);
        return written;
      },
      () => this.#notifier.notifyCommitted(key),
    );
    this.#notifier.notify(key);
    return object as T;
  }

  async updateStatus<T extends AnyResource>(resource: T): Promise<T> {
    const input = parseResource(resource);
    const key = this.#keyOf(input);
    const what = describeKey(key);
    const object = await this.#connection.writeSoon(
      { operation: 'updateStatus', object: what },
      () => {
        const stored = this.#require(key);
        checkPreconditions(stored, input.metadata, what);
        const next = statusUpdatedObject(stored, input);
        if (isUnchanged(stored, next)) return stored;
        const version = this.#changes.nextVersion();
        const written = atVersion(next, String(version));
        this.#apply(WatchEventType.Modified, key, version, written, stored);
        return written;
      },
      () => this.#notifier.notifyCommitted(key),
    );
    this.#notifier.notify(key);
    return object as T;
  }

  async delete<K extends Kind>(
    kind: K,
    key: ObjectKey,
    options: DeleteOptions = {},
  ): Promise<DeleteResult<ResourceOf<K>>> {
    const at = { ...rowKey(checkKind(kind), key), kind };
    const what = describeKey(at);
    const result = await this.#connection.writeSoon(
      { operation: 'delete', object: what },
      (): DeleteResult<ResourceOf<K>> => {
        const stored = this.#require(at);
        checkPreconditions(stored, { resourceVersion: options.resourceVersion }, what);
        const isTerminating = stored.metadata.deletionTimestamp !== undefined;
        if (hasFinalizers(stored) && isTerminating)
          return { status: 'terminating', object: stored };
        const version = this.#changes.nextVersion();
        if (hasFinalizers(stored)) {
          const marked = terminatingObject(stored, toTimestamp(this.#now()));
          const written = atVersion(marked, String(version));
          this.#apply(WatchEventType.Modified, at, version, written, stored);
          return { status: 'terminating', object: written };
        }
        const final = atVersion(stored, String(version));
        this.#apply(WatchEventType.Deleted, at, version, final, stored);
        return { status: 'deleted', object: final };
      },
      () => this.#notifier.notifyCommitted(at),
    );
    this.#notifier.notify(at);
    return result;
  }

  watch<K extends Kind>(
    kind: K,
    options: WatchOptions = {},
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    let start: { filter: ChangeFilter<K>; afterVersion: number } | undefined;
    let failure: unknown;
    try {
      start = this.#watchStart(kind, options);
    } catch (error) {
      failure = error;
    }
    const filter = start?.filter;
    const stream = new WatchStream<ResourceOf<K>>(
      {
        read: (after) =>
          filter === undefined ? emptyBatch(after) : this.#changes.read(filter, after),
        subscribe: (listener) => {
          // Woken by the changes it may see (by any, when another connection wrote), and after
          // a quarter of the log's retention of others, so that it reads on before its version
          // falls out of the log (a watch that had nothing to read must not turn `expired`).
          let skipped = 0;
          const onChange = (changed?: RowKey) => {
            const isSkipped =
              changed !== undefined && filter !== undefined && !isWatched(filter, changed);
            if (isSkipped && ++skipped < this.#wakeAfterSkipped) return;
            skipped = 0;
            listener();
          };
          return this.#notifier.subscribe(onChange, options.wakeBeforeDurable === true);
        },
      },
      { afterVersion: start?.afterVersion ?? 0, signal: options.signal, failure },
      (ended) => this.#watches.delete(ended),
    );
    if (!stream.isDone) this.#watches.add(stream);
    return stream;
  }

  /**
   * Forgets every change but the newest `retain` (default 0): watches from older versions become
   * `expired`. Retention does this continuously; call this to reclaim space or in tests.
   */
  async compact(retain = 0): Promise<void> {
    await this.#connection.write({ operation: 'compact' }, () => this.#changes.compact(retain));
  }

  /** Ends every watch, stops polling and closes the file. Idempotent. */
  async close(): Promise<void> {
    for (const stream of [...this.#watches]) stream.close();
    this.#notifier.close();
    await this.#connection.close();
  }

  /** Validates a watch request and fixes where it starts: after the given version, or now. */
  #watchStart<K extends Kind>(
    kind: K,
    options: WatchOptions,
  ): { filter: ChangeFilter<K>; afterVersion: number } {
    checkKind(kind);
    const namespace = options.namespace
      ? rowNamespace(kind, options.namespace, 'namespace')
      : undefined;
    const selector = parseLabelSelector(options.labelSelector ?? '');
    const afterVersion =
      options.resourceVersion === undefined
        ? this.#connection.run({ operation: `watch ${kind}` }, () => this.#changes.state())
            .resource_version
        : parseVersion(options.resourceVersion, 'resourceVersion');
    const name = options.name ? options.name : undefined;
    return { filter: { kind, namespace, name, selector }, afterVersion };
  }

  /** Inside a write: one change at `version`, to the row and to the change log. */
  #apply(
    type: WatchEventType,
    key: RowKey,
    version: number,
    object: AnyResource,
    previous: AnyResource | undefined,
  ): void {
    // Serialized once for the row and the change; readers of this version skip the schema.
    const json = encodeObject(object);
    this.#validated.written(key, version, json);
    switch (type) {
      case WatchEventType.Added:
        this.#objects.insert(key, version, object.metadata.uid ?? '', json);
        break;
      case WatchEventType.Modified:
        this.#objects.replace(key, version, json);
        break;
      case WatchEventType.Deleted:
        this.#objects.remove(key);
        break;
    }
    const previousLabels = previous === undefined ? undefined : (previous.metadata.labels ?? {});
    this.#changes.append(version, type, key, json, previousLabels);
  }

  #keyOf(input: AnyResource): RowKey {
    const { name, namespace } = input.metadata;
    if (name === undefined) throw invalidField('metadata.name', 'is required');
    return {
      kind: input.kind,
      namespace: rowNamespace(input.kind, namespace, 'metadata.namespace'),
      name,
    };
  }

  #require<K extends Kind>(key: RowKey & { kind: K }): ResourceOf<K> {
    const object = this.#objects.find(key);
    if (object === undefined) throw notFound(key);
    return object;
  }
}
