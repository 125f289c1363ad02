import type { AnyResource, Kind, ResourceOf } from './resources.ts';

/**
 * The ResourceStore seam: persistence with Kubernetes API semantics, so that the embedded SQLite
 * store and the Kubernetes API server are interchangeable under the control plane.
 *
 * - `resourceVersion` is an opaque string, monotonic across the whole store (a watch resumes from it).
 * - `create` fills `uid`, `resourceVersion`, `generation` (1), `creationTimestamp`, and `name` from
 *   `generateName` when needed; it ignores `status` unless the kind has none yet (status starts empty).
 * - `update` writes metadata (labels, annotations, finalizers, ownerReferences) and `spec`; it never
 *   writes `status`. A `resourceVersion` that is not the current one is a `conflict` (details carry
 *   the current one); an absent `resourceVersion` is an unconditional update. `generation` is bumped
 *   only when `spec` changes.
 * - `updateStatus` writes `status` alone, with the same optimistic concurrency.
 * - `delete` removes the object, or, when it has finalizers, sets `deletionTimestamp` and keeps it
 *   until an `update` removes the last finalizer (the store then deletes it). Idempotent on a
 *   terminating object.
 * - `watch` streams ADDED / MODIFIED / DELETED after `resourceVersion` (or from now); a version older
 *   than the store retains is an `expired` error; the caller re-lists and watches from the list's version.
 * Errors: `not_found`, `already_exists`, `conflict`, `expired`, `validation_failed`.
 */
export interface ResourceStore {
  get<K extends Kind>(kind: K, key: ObjectKey): Promise<ResourceOf<K>>;
  list<K extends Kind>(kind: K, options?: ListOptions): Promise<ResourceList<ResourceOf<K>>>;
  create<T extends AnyResource>(resource: T): Promise<T>;
  update<T extends AnyResource>(resource: T): Promise<T>;
  updateStatus<T extends AnyResource>(resource: T): Promise<T>;
  delete<K extends Kind>(
    kind: K,
    key: ObjectKey,
    options?: DeleteOptions,
  ): Promise<DeleteResult<ResourceOf<K>>>;
  watch<K extends Kind>(kind: K, options?: WatchOptions): AsyncIterable<WatchEvent<ResourceOf<K>>>;
  close(): Promise<void>;
}

/** Identifies one object; `namespace` is required for namespaced kinds and absent for cluster ones. */
export type ObjectKey = { namespace?: string; name: string };

export type ListOptions = {
  /** Namespaced kinds: restrict to one namespace; all namespaces when absent. */
  namespace?: string;
  /** Kubernetes label selector syntax: `app=web,tier!=db,env in (a,b),!legacy,owner`. */
  labelSelector?: string;
  /** Page size; all items when absent. */
  limit?: number;
  /** Opaque token from a previous page. */
  continue?: string;
};

export type ResourceList<T> = {
  items: T[];
  /** The store's version at the time of the list: watch from here to see every later change. */
  resourceVersion: string;
  /** Present when more items remain. */
  continue?: string;
};

export type DeleteOptions = {
  /** Precondition: delete only if the object is still at this version. */
  resourceVersion?: string;
};

export type DeleteResult<T> =
  | { status: 'deleted'; object: T }
  /** The object has finalizers: it now carries a deletionTimestamp and is gone once they are removed. */
  | { status: 'terminating'; object: T };

export type WatchOptions = ListOptions & {
  /** Deliver changes after this version; from the current version when absent. */
  resourceVersion?: string;
  /**
   * Only the changes of the object with this name (Kubernetes: `fieldSelector=metadata.name=…`),
   * so a wait for one object is not handed every other object's changes.
   */
  name?: string;
  /**
   * Wake for a change as soon as it commits, before it is durable: for the controllers inside
   * the server, which may act on a write while it syncs (what they write in turn is acknowledged,
   * and seen by other watches, only once durable, and the write they acted on with it). A store
   * without the distinction ignores it.
   */
  wakeBeforeDurable?: boolean;
  /** Ends the stream. */
  signal?: AbortSignal;
};

export const WatchEventType = { Added: 'ADDED', Modified: 'MODIFIED', Deleted: 'DELETED' } as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

export type WatchEvent<T = AnyResource> = { type: WatchEventType; object: T };
