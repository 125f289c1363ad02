/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`): the manifest's fields become
 * the manager's; fields the manager set before and no longer sets are removed unless another
 * manager owns them; a field another manager owns, set here to a different value, is a conflict
 * (409, a cause per field) unless `force` takes it over. Setting the same value shares it.
 * Finalizers and ownerReferences are fields item by item (`managed-fields.ts`): a manifest's
 * items join the object's (an ownerReference replaces the one of its uid), and one the manager
 * alone listed and lists no more is removed; one another manager (or an update) owns stays, as
 * does one set outside this surface (a controller's own finalizer, owned by nobody here).
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

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Equal values, whatever the order of their maps' keys (the store keeps its schema's order). */
const same = (a: unknown, b: unknown) =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isMap(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}
const isEmptyMap = (value: unknown) => isMap(value) && Object.keys(value).length === 0;

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
