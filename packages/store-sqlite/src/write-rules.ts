// Kubernetes write semantics as pure functions of (stored object, request): which fields a write
// may change, when generation moves, what a precondition or a terminating object allows. The
// store wraps them in transactions; nothing here touches the database.
import { isDeepStrictEqual } from 'node:util';
import { type AnyResource, ErrorCode, type ObjectMeta, PaddockError } from '@paddock/core';

type Meta = ObjectMeta;

/** System fields the store decides on create. */
export type CreateFields = {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
};

/** Kubernetes writes timestamps to the second: `2025-01-02T03:04:05Z`. */
export function toTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Drops empty and absent optional fields (`omitempty`), in a fixed order, for stable JSON. */
function normalizeMeta(meta: Meta): Meta {
  const out: Meta = {};
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.generateName !== undefined) out.generateName = meta.generateName;
  if (meta.namespace !== undefined && meta.namespace !== '') out.namespace = meta.namespace;
  if (meta.uid !== undefined) out.uid = meta.uid;
  if (meta.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  if (meta.generation !== undefined) out.generation = meta.generation;
  if (meta.creationTimestamp !== undefined) out.creationTimestamp = meta.creationTimestamp;
  if (meta.deletionTimestamp !== undefined) out.deletionTimestamp = meta.deletionTimestamp;
  if (meta.labels !== undefined && Object.keys(meta.labels).length > 0) out.labels = meta.labels;
  if (meta.annotations !== undefined && Object.keys(meta.annotations).length > 0) {
    out.annotations = meta.annotations;
  }
  if (meta.finalizers !== undefined && meta.finalizers.length > 0) out.finalizers = meta.finalizers;
  if (meta.ownerReferences !== undefined && meta.ownerReferences.length > 0) {
    out.ownerReferences = meta.ownerReferences;
  }
  return out;
}

/** The user-owned metadata of a request: everything but the system fields. */
function userMeta(meta: Meta): Meta {
  const { uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, ...rest } = meta;
  return rest;
}

/** `object` with `status` replaced (or removed when `status` is undefined). */
function withStatus<T extends AnyResource>(object: T, status: T['status']): T {
  const { status: _old, ...rest } = object;
  // Spreading a generic loses the link between the omitted key and T; the result is T again.
  return (status === undefined ? rest : { ...rest, status }) as T;
}

function withMeta<T extends AnyResource>(object: T, metadata: Meta): T {
  return { ...object, metadata: normalizeMeta(metadata) };
}

/** A new object as `create` stores it: system fields filled, status dropped (it starts empty). */
export function createdObject<T extends AnyResource>(input: T, fields: CreateFields): T {
  const metadata = { ...userMeta(input.metadata), ...fields, generation: 1 };
  return withStatus(withMeta(input, metadata), undefined);
}

/**
 * Optimistic concurrency: a `resourceVersion` (or `uid`) in the request that is not the stored one
 * is a `conflict` whose details carry the current version. Absent means unconditional.
 */
export function checkPreconditions(
  stored: AnyResource,
  request: { resourceVersion?: string | undefined; uid?: string | undefined },
  what: string,
): void {
  const current = stored.metadata.resourceVersion ?? '';
  if (request.uid !== undefined && request.uid !== stored.metadata.uid) {
    throw new PaddockError(
      ErrorCode.Conflict,
      `${what}: uid precondition failed: the request names uid ${request.uid}, the object is ${stored.metadata.uid ?? ''}`,
      { currentResourceVersion: current, currentUid: stored.metadata.uid ?? '' },
    );
  }
  if (request.resourceVersion !== undefined && request.resourceVersion !== current) {
    throw new PaddockError(
      ErrorCode.Conflict,
      `${what} has been modified: resourceVersion ${request.resourceVersion} is not the current ${current}; read it again and retry`,
      { currentResourceVersion: current },
    );
  }
}

/**
 * What `update` makes of `stored`: the request's user metadata and spec, the stored status and
 * system fields; generation + 1 only when spec changed (deeply). A terminating object may be
 * updated (that is how finalizers are removed) but may not gain a finalizer.
 */
export function updatedObject<T extends AnyResource>(stored: T, input: T, what: string): T {
  const kept = stored.metadata;
  const isTerminating = kept.deletionTimestamp !== undefined;
  if (isTerminating) {
    const added = (input.metadata.finalizers ?? []).filter((f) => !kept.finalizers?.includes(f));
    if (added.length > 0) {
      const message = `no new finalizers can be added while the object is being deleted (${added.join(', ')})`;
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `invalid ${what}: metadata.finalizers: ${message}`,
        {
          issues: [{ path: 'metadata.finalizers', message }],
        },
      );
    }
  }
  const isSpecChanged = !isDeepStrictEqual(stored.spec, input.spec);
  const metadata: Meta = {
    ...userMeta(input.metadata),
    name: kept.name,
    uid: kept.uid,
    resourceVersion: kept.resourceVersion,
    generation: (kept.generation ?? 1) + (isSpecChanged ? 1 : 0),
    creationTimestamp: kept.creationTimestamp,
    deletionTimestamp: kept.deletionTimestamp,
  };
  if (kept.namespace !== undefined) metadata.namespace = kept.namespace;
  return withStatus(withMeta({ ...stored, spec: input.spec }, metadata), stored.status);
}

/** What `updateStatus` makes of `stored`: the request's status, nothing else. */
export function statusUpdatedObject<T extends AnyResource>(stored: T, input: T): T {
  return withStatus(stored, input.status);
}

/** `object` at a new resourceVersion. */
export function atVersion<T extends AnyResource>(object: T, resourceVersion: string): T {
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

/** `object` marked for deletion at `timestamp`. */
export function terminatingObject<T extends AnyResource>(object: T, timestamp: string): T {
  return withMeta(object, { ...object.metadata, deletionTimestamp: timestamp });
}

/** Whether a write would change nothing (Kubernetes then skips it: no new version, no event). */
export function isUnchanged(stored: AnyResource, next: AnyResource): boolean {
  return isDeepStrictEqual(stored, next);
}

/** A terminating object whose finalizers are all gone: the store now deletes it. */
export function isReadyToDelete(object: AnyResource): boolean {
  return (
    object.metadata.deletionTimestamp !== undefined &&
    (object.metadata.finalizers ?? []).length === 0
  );
}

/** Whether deleting `object` must wait for finalizers. */
export function hasFinalizers(object: AnyResource): boolean {
  return (object.metadata.finalizers ?? []).length > 0;
}
