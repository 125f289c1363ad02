import type { ObjectKey } from '@paddock/core';

/** The metadata a queue key is made of. */
type Named = { namespace?: string | undefined; name?: string | undefined };

/**
 * An object's work-queue key, as Kubernetes' `MetaNamespaceKeyFunc`: `namespace/name`, or `name`
 * alone for a cluster-scoped object (names never hold a `/`).
 */
export function queueKey(meta: Named): string {
  const name = meta.name ?? '';
  return meta.namespace ? `${meta.namespace}/${name}` : name;
}

/** The object a queue key names (the inverse of {@link queueKey}). */
export function objectKeyOf(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash === -1
    ? { name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
