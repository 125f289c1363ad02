/**
 * A delete's `propagationPolicy`. Paddock deletes in the background: what a controller made for
 * an object goes with it through the object's finalizer, and no garbage collector follows
 * ownerReferences. `Foreground` and `Orphan` differ from that only for an object another one
 * names as its owner: on a cluster the garbage collector finds no dependents of any other object
 * and deletes it as `Background` does. So they are served for an object without dependents and
 * refused (Invalid, naming `propagationPolicy`) for one with them.
 */
import { type AnyResource, KIND_NAMES, KINDS, type ResourceStore, Scope } from '@paddock/core';
import { invalidParam } from './kube-verb-call.ts';

export const PropagationPolicy = {
  Background: 'Background',
  Foreground: 'Foreground',
  Orphan: 'Orphan',
} as const;
export type PropagationPolicy = (typeof PropagationPolicy)[keyof typeof PropagationPolicy];

const POLICIES: ReadonlySet<unknown> = new Set(Object.values(PropagationPolicy));

/**
 * The policy a delete asks for: the query's `propagationPolicy`, else the DeleteOptions body's,
 * else its deprecated `orphanDependents`; `Background` when none.
 */
export function propagationPolicyOf(
  query: URLSearchParams,
  options: Record<string, unknown>,
): PropagationPolicy {
  const given = query.get('propagationPolicy') ?? options.propagationPolicy;
  if (given === undefined || given === null || given === '') {
    return options.orphanDependents === true
      ? PropagationPolicy.Orphan
      : PropagationPolicy.Background;
  }
  if (!POLICIES.has(given)) {
    throw invalidParam(
      'propagationPolicy',
      `${JSON.stringify(given)} is not one of Background, Foreground, Orphan`,
    );
  }
  return given as PropagationPolicy;
}

/** How many objects name `owner` in their ownerReferences (its dependents). */
async function dependentsOf(store: ResourceStore, owner: AnyResource): Promise<number> {
  const { uid, namespace } = owner.metadata;
  let count = 0;
  for (const kind of KIND_NAMES) {
    // A namespaced owner's dependents are namespaced and in its namespace; a cluster one's anywhere.
    if (namespace !== undefined && KINDS[kind].scope === Scope.Cluster) continue;
    const { items } = await store.list(kind, namespace === undefined ? {} : { namespace });
    for (const item of items) {
      if (item.metadata.ownerReferences?.some((ref) => ref.uid === uid)) count++;
    }
  }
  return count;
}

/** Refuses `Foreground` and `Orphan` for an object with dependents (see this file's comment). */
export async function requireServedPolicy(
  store: ResourceStore,
  current: AnyResource,
  policy: PropagationPolicy,
): Promise<void> {
  if (policy === PropagationPolicy.Background) return;
  const count = await dependentsOf(store, current);
  if (count === 0) return;
  const what = policy === PropagationPolicy.Foreground ? 'wait for' : 'orphan';
  throw invalidParam(
    'propagationPolicy',
    `${policy} is not served for an object that ${count} other object(s) name as owner: Paddock has no garbage collector to ${what} them; use Background (the default), with which the object's controller deletes what it made`,
  );
}
