/**
 * Field ownership for server-side apply: which manager set which fields, as Kubernetes'
 * `metadata.managedFields` (`FieldsV1`). A field is a path to a leaf of the object: a scalar, a
 * list (lists are atomic: owned whole) or an empty map; the items of `metadata.finalizers` (a
 * set: `v:"name"`) and `metadata.ownerReferences` (keyed: `k:{"uid":"…"}`) are owned one by one,
 * as the API server owns them. Paddock's store keeps ObjectMeta only,
 * so the entries live in the annotation `paddock.dev/managed-fields` and this surface shows them
 * as `metadata.managedFields` (and hides the annotation).
 */
import type { AnyResource } from '@paddock/core';

export const MANAGED_FIELDS_ANNOTATION = 'paddock.dev/managed-fields';

/** Annotations Paddock writes itself; no manager owns them. */
const SERVER_ANNOTATIONS: ReadonlySet<string> = new Set([
  MANAGED_FIELDS_ANNOTATION,
  'paddock.dev/owner',
]);

export const ManagerOperation = { Apply: 'Apply', Update: 'Update' } as const;
export type ManagerOperation = (typeof ManagerOperation)[keyof typeof ManagerOperation];

export type ManagedFieldsEntry = {
  manager: string;
  operation: ManagerOperation;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
};

/** A field as its path of keys: `['spec', 'desiredState']`. */
export type FieldPath = readonly string[];

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `.spec.desiredState`, as Kubernetes prints a field in a conflict. */
export const describeField = (path: FieldPath) => `.${path.join('.')}`;
export const fieldKey = (path: FieldPath) => JSON.stringify(path);
export const parseFieldKey = (key: string) => JSON.parse(key) as string[];

/** The metadata lists whose items are owned one by one, and the FieldsV1 key of an item. */
const ITEM_LISTS: Readonly<Record<string, (item: unknown) => string | undefined>> = {
  finalizers: (item) => (typeof item === 'string' ? `v:${JSON.stringify(item)}` : undefined),
  ownerReferences: (item) =>
    isMap(item) && typeof item.uid === 'string'
      ? `k:${JSON.stringify({ uid: item.uid })}`
      : undefined,
};

/** The list name when `path` is an item of a metadata list owned by item (`metadata.finalizers.v:"x"`). */
function itemListOf(path: FieldPath): string | undefined {
  const [top, list] = path;
  return path.length === 3 &&
    top === 'metadata' &&
    list !== undefined &&
    Object.hasOwn(ITEM_LISTS, list)
    ? list
    : undefined;
}

function itemsOf(metadata: unknown, list: string): unknown[] {
  const items = isMap(metadata) ? metadata[list] : undefined;
  return Array.isArray(items) ? items : [];
}

function itemIndex(items: readonly unknown[], list: string, key: string | undefined): number {
  const keyOf = ITEM_LISTS[list];
  return keyOf === undefined ? -1 : items.findIndex((item) => keyOf(item) === key);
}

function leaves(value: unknown, prefix: string[], into: Set<string>): void {
  if (!isMap(value) || Object.keys(value).length === 0) {
    into.add(fieldKey(prefix));
    return;
  }
  for (const [key, child] of Object.entries(value)) leaves(child, [...prefix, key], into);
}

/**
 * The fields a manifest sets: its spec (and other top-level data), labels and annotations, and
 * each finalizer and ownerReference it lists.
 */
export function fieldsOf(object: Record<string, unknown>): Set<string> {
  const fields = new Set<string>();
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'status') continue;
    if (key === 'metadata') {
      if (!isMap(value)) continue;
      for (const map of ['labels', 'annotations'] as const) {
        const entries = value[map];
        if (!isMap(entries)) continue;
        for (const [name, v] of Object.entries(entries)) {
          if (map === 'annotations' && SERVER_ANNOTATIONS.has(name)) continue;
          fields.add(fieldKey(['metadata', map, name]));
          void v;
        }
      }
      for (const [list, keyOf] of Object.entries(ITEM_LISTS)) {
        for (const item of itemsOf(value, list)) {
          const key = keyOf(item);
          if (key !== undefined) fields.add(fieldKey(['metadata', list, key]));
        }
      }
      continue;
    }
    leaves(value, [key], fields);
  }
  return fields;
}

/** The value at `path`, or undefined. */
export function valueAtPath(object: unknown, path: FieldPath): unknown {
  const list = itemListOf(path);
  if (list !== undefined) {
    const items = itemsOf(valueAtPath(object, ['metadata']), list);
    return items[itemIndex(items, list, path[2])];
  }
  let current = object;
  for (const key of path) {
    if (!isMap(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function setAtPath(object: Record<string, unknown>, path: FieldPath, value: unknown): void {
  const list = itemListOf(path);
  if (list !== undefined) {
    // An item replaces the one of its key in place, else joins the list at its end.
    if (!isMap(object.metadata)) object.metadata = {};
    const metadata = object.metadata as Record<string, unknown>;
    const items = [...itemsOf(metadata, list)];
    const at = itemIndex(items, list, path[2]);
    if (at === -1) items.push(structuredClone(value));
    else items[at] = structuredClone(value);
    metadata[list] = items;
    return;
  }
  let current = object;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (!isMap(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) current[last] = structuredClone(value);
}

/** Removes the field at `path`, and the maps it leaves empty (a manifest's field set is leaves). */
export function removeAtPath(object: Record<string, unknown>, path: FieldPath): void {
  const list = itemListOf(path);
  if (list !== undefined) {
    const metadata = object.metadata;
    if (!isMap(metadata)) return;
    const held = itemsOf(metadata, list);
    const at = itemIndex(held, list, path[2]);
    const items = held.filter((_, i) => i !== at);
    if (items.length > 0) metadata[list] = items;
    else delete metadata[list];
    return;
  }
  const parents: Array<[Record<string, unknown>, string]> = [];
  let current = object;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (!isMap(next)) return;
    parents.push([current, key]);
    current = next;
  }
  const last = path.at(-1);
  if (last === undefined) return;
  delete current[last];
  for (const [parent, key] of parents.reverse()) {
    const child = parent[key];
    if (isMap(child) && Object.keys(child).length === 0 && path[0] !== 'metadata')
      delete parent[key];
    else break;
  }
}

export function toFieldsV1(fields: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of fields) {
    const path = parseFieldKey(key);
    const isItem = itemListOf(path) !== undefined;
    let node = root;
    for (const [i, part] of path.entries()) {
      const name = isItem && i === 2 ? part : `f:${part}`;
      if (!isMap(node[name])) node[name] = {};
      node = node[name] as Record<string, unknown>;
      // The list itself (`.`), as the API server records it beside the items.
      if (isItem && i === 1) node['.'] = {};
    }
  }
  return root;
}

export function fromFieldsV1(fieldsV1: unknown): Set<string> {
  const fields = new Set<string>();
  const walk = (node: unknown, prefix: string[]) => {
    if (isMap(node) && itemListOf([...prefix, '']) !== undefined) {
      for (const key of Object.keys(node)) {
        if (/^[kv]:/.test(key)) fields.add(fieldKey([...prefix, key]));
      }
      return;
    }
    const children = isMap(node) ? Object.keys(node).filter((k) => k.startsWith('f:')) : [];
    const hasListKeys = isMap(node) && Object.keys(node).some((k) => /^[kvi]:/.test(k));
    if (prefix.length > 0 && (children.length === 0 || hasListKeys)) {
      fields.add(fieldKey(prefix));
      return;
    }
    for (const child of children)
      walk((node as Record<string, unknown>)[child], [...prefix, child.slice(2)]);
  };
  walk(fieldsV1, []);
  return fields;
}

/** The entries recorded on `object` (none when it has no annotation or a broken one). */
export function managedFieldsOf(object: AnyResource | undefined): ManagedFieldsEntry[] {
  const raw = object?.metadata.annotations?.[MANAGED_FIELDS_ANNOTATION];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as ManagedFieldsEntry[]) : [];
  } catch {
    return [];
  }
}

/** `object` carrying `entries` in its annotation (none: the annotation removed). */
export function withManagedFields<T extends AnyResource>(
  object: T,
  entries: ManagedFieldsEntry[],
): T {
  const { [MANAGED_FIELDS_ANNOTATION]: _old, ...rest } = object.metadata.annotations ?? {};
  const annotations =
    entries.length === 0 ? rest : { ...rest, [MANAGED_FIELDS_ANNOTATION]: JSON.stringify(entries) };
  const { annotations: _a, ...metadata } = object.metadata;
  return {
    ...object,
    metadata: { ...metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  };
}

/** RFC 3339 to the second, as Kubernetes stamps managedFields. */
export const stamp = (nowMs: number) => `${new Date(nowMs).toISOString().slice(0, 19)}Z`;

/**
 * Records a write that is not an apply (create, update, patch): the fields whose value it
 * changed belong to `manager` (operation Update) and leave every other manager.
 */
export function recordUpdate(
  current: AnyResource | undefined,
  next: AnyResource,
  manager: string,
  apiVersion: string,
  nowMs: number,
): ManagedFieldsEntry[] {
  const entries = managedFieldsOf(current);
  const before = current === undefined ? new Set<string>() : fieldsOf(current);
  const after = fieldsOf(next);
  const changed = new Set<string>();
  for (const key of new Set([...before, ...after])) {
    const path = parseFieldKey(key);
    const was = current === undefined ? undefined : valueAtPath(current, path);
    if (JSON.stringify(was) !== JSON.stringify(valueAtPath(next, path))) changed.add(key);
  }
  if (changed.size === 0) return entries;
  const kept = entries.map((entry) => {
    if (entry.manager === manager && entry.operation === ManagerOperation.Update) return entry;
    const fields = [...fromFieldsV1(entry.fieldsV1)].filter((f) => !changed.has(f));
    return { ...entry, fieldsV1: toFieldsV1(fields) };
  });
  const own = kept.find((e) => e.manager === manager && e.operation === ManagerOperation.Update);
  const ownFields = new Set([...(own === undefined ? [] : fromFieldsV1(own.fieldsV1)), ...changed]);
  const owned = [...ownFields].filter((f) => after.has(f));
  const others = kept.filter((e) => e !== own);
  const entry: ManagedFieldsEntry = {
    manager,
    operation: ManagerOperation.Update,
    apiVersion,
    time: stamp(nowMs),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(owned),
  };
  return [...others, entry].filter((e) => Object.keys(e.fieldsV1).length > 0);
}
