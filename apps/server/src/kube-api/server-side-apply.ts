/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`): the manifest's fields become
 * the manager's; fields the manager set before and no longer sets are removed unless another
 * manager owns them; a field another manager owns, set here to a different value, is a conflict
 * (409, a cause per field) unless `force` takes it over. Setting the same value shares it.
 */
import { type AnyResource, ErrorCode, PaddockError } from '@paddock/core';
import {
  describeField,
  fieldsOf,
  fromFieldsV1,
  type ManagedFieldsEntry,
  ManagerOperation,
  managedFieldsOf,
  parseFieldKey,
  removeAtPath,
  setAtPath,
  stamp,
  toFieldsV1,
  valueAtPath,
} from './managed-fields.ts';

export type ApplyOptions = {
  manager: string;
  isForced: boolean;
  apiVersion: string;
  nowMs: number;
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmptyMap = (value: unknown) => isMap(value) && Object.keys(value).length === 0;

/**
 * The finalizers and ownerReferences a manifest lists join the object's, as a cluster merges
 * them: finalizers as a set, ownerReferences keyed by uid (the manifest's entry replaces one of
 * the same uid). Which manager set which item is not tracked: one a manifest stops listing stays
 * (remove it with a JSON or merge patch), where a cluster would remove it.
 */
function mergeMetadataLists(
  object: Record<string, unknown>,
  manifest: Record<string, unknown>,
): void {
  const given = isMap(manifest.metadata) ? manifest.metadata : {};
  const metadata = (isMap(object.metadata) ? object.metadata : {}) as Record<string, unknown>;
  const merge = (name: string, keyOf: (item: unknown) => unknown) => {
    const listed = given[name];
    if (!Array.isArray(listed) || listed.length === 0) return;
    const byKey = new Map(listed.map((item) => [keyOf(item), item]));
    const held = Array.isArray(metadata[name]) ? (metadata[name] as unknown[]) : [];
    const heldKeys = new Set(held.map(keyOf));
    // In place, so that applying the same manifest again changes nothing.
    metadata[name] = [
      ...held.map((item) => byKey.get(keyOf(item)) ?? item),
      ...listed.filter((item) => !heldKeys.has(keyOf(item))),
    ];
  };
  merge('finalizers', (finalizer) => finalizer);
  merge('ownerReferences', (ref) => (isMap(ref) ? ref.uid : ref));
  object.metadata = metadata;
}

/**
 * The object `manifest` applied over `current` (undefined: a create) makes, and its managers.
 * Throws `conflict` with `details.conflicts` naming each field and its manager.
 */
export function applyManifest(
  current: AnyResource | undefined,
  manifest: Record<string, unknown>,
  options: ApplyOptions,
): { object: Record<string, unknown>; entries: ManagedFieldsEntry[] } {
  const applied = fieldsOf(manifest);
  const entries = managedFieldsOf(current).map((entry) => ({
    entry,
    fields: fromFieldsV1(entry.fieldsV1),
  }));
  const mine = entries.find(
    (e) => e.entry.manager === options.manager && e.entry.operation === ManagerOperation.Apply,
  );
  const others = entries.filter((e) => e !== mine);
  const conflicts: Array<{ field: string; manager: string; message: string }> = [];
  if (current !== undefined) {
    for (const other of others) {
      for (const key of other.fields) {
        if (!applied.has(key)) continue;
        const path = parseFieldKey(key);
        if (same(valueAtPath(current, path), valueAtPath(manifest, path))) continue;
        if (options.isForced) other.fields.delete(key);
        else {
          const field = describeField(path);
          conflicts.push({
            field,
            manager: other.entry.manager,
            message: `conflict with "${other.entry.manager}": ${field}`,
          });
        }
      }
    }
  }
  if (conflicts.length > 0) {
    const list = conflicts.map((c) => c.message).join(', ');
    throw new PaddockError(
      ErrorCode.Conflict,
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${list}`,
      { conflicts },
    );
  }
  const object = structuredClone((current ?? { metadata: {} }) as Record<string, unknown>);
  const ownedElsewhere = new Set(others.flatMap((o) => [...o.fields]));
  for (const key of mine?.fields ?? []) {
    if (!applied.has(key) && !ownedElsewhere.has(key)) removeAtPath(object, parseFieldKey(key));
  }
  for (const key of applied) {
    const path = parseFieldKey(key);
    const value = valueAtPath(manifest, path);
    // An empty map in a manifest asks for the map, not for emptying what others set in it.
    if (isEmptyMap(value) && isMap(valueAtPath(object, path))) continue;
    setAtPath(object, path, value);
  }
  mergeMetadataLists(object, manifest);
  const entry: ManagedFieldsEntry = {
    manager: options.manager,
    operation: ManagerOperation.Apply,
    apiVersion: options.apiVersion,
    time: stamp(options.nowMs),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(applied),
  };
  const kept = others
    .map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  return { object, entries: applied.size > 0 ? [...kept, entry] : kept };
}
