import type { MergeRule, TemplateSpec } from './template.ts';
import { MERGE_RULES } from './template.ts';

/** The inheritable part of a template spec: everything but `inheritsFrom` and `warmPool`. */
export type MergeableSpec = Omit<TemplateSpec, 'inheritsFrom' | 'warmPool'>;

/** A rule table: field name → its merge rule. `MERGE_RULES` is the one for template specs. */
export type MergeRules = Readonly<Record<string, MergeRule>>;

/**
 * Provenance: field path → label of the source that set the value (`ClusterSandboxTemplate/base`,
 * `SandboxTemplate/python`, `Sandbox/my-box`). Paths, by the rule of the field:
 * - `override`: the field's path (`image`, `timeout`, `command`, `resources.cpu`).
 * - `merge-fields`: no entry of its own; one entry per nested field (`network.egress`).
 * - `merge-by-key`: one entry per item, `<path>.<key>` (`env.HOME`, `files./etc/motd`, `ports.web`).
 * - `append`: one entry per item, `<path>[<index in the merged list>]` (`repos[0]`,
 *   `network.allowedDomains[2]`); a dropped duplicate keeps the origin of its first occurrence.
 * A list with no items has no entries.
 */
export type Origins = Readonly<Record<string, string>>;

/** A spec together with the provenance of its values. */
export interface Merged<T> {
  readonly spec: T;
  readonly origins: Origins;
}

/** The label that names a source in `Origins` and in error messages: `Kind/name`. */
export function sourceLabel(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** The neutral starting point of a merge: no fields, no origins. */
export function emptyMerged(): Merged<MergeableSpec> {
  return { spec: {}, origins: {} };
}

/**
 * Merges `child` over `parent`, field by field, as the rule table says (see `MergeRule`). A field
 * absent from the child (`undefined`) keeps the parent's value and origins unchanged; a present
 * field combines by its rule and the values it contributed get `source` as their origin.
 *
 * The merge is a generic interpreter of `rules`: a new field needs only a rule. Fields without a
 * rule (`inheritsFrom`, `warmPool`) are not inherited: they are absent from the result. Within the
 * merged list of a `merge-by-key` field each key appears once (the later item of a key wins, at the
 * position of the key's first occurrence); an `append` list holds no two structurally equal items.
 *
 * Pure and total: never throws, never mutates its inputs; the result may share unchanged values
 * with them. Merging a parent with `{}` returns the parent's spec; merging `emptyMerged()` with a
 * spec yields that spec (duplicates removed as above) with every value attributed to `source`.
 */
export function mergeEnvironment<T extends Readonly<Record<string, unknown>>>(
  parent: Merged<T>,
  child: T,
  source: string,
  rules: MergeRules = MERGE_RULES,
): Merged<T> {
  const origins: Record<string, string> = { ...parent.origins };
  const spec = mergeObject(parent.spec, child, rules, '', source, origins);
  // The interpreter builds the result from the rule table, whose keys are fields of T.
  return { spec: spec as T, origins };
}

type Obj = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeObject(
  parent: Obj,
  child: Obj,
  rules: MergeRules,
  prefix: string,
  source: string,
  origins: Record<string, string>,
): Obj {
  const out: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(rules)) {
    const value = mergeValue(parent[field], child[field], rule, prefix + field, source, origins);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function mergeValue(
  parent: unknown,
  child: unknown,
  rule: MergeRule,
  path: string,
  source: string,
  origins: Record<string, string>,
): unknown {
  if (child === undefined) return parent;
  switch (rule.rule) {
    case 'override':
      return replace(child, path, source, origins);
    case 'append':
      if (!Array.isArray(child)) break;
      delete origins[path];
      return appendItems(Array.isArray(parent) ? parent : [], child, path, source, origins);
    case 'merge-by-key':
      if (!Array.isArray(child)) break;
      delete origins[path];
      return mergeByKey(
        Array.isArray(parent) ? parent : [],
        child,
        rule.key,
        path,
        source,
        origins,
      );
    case 'merge-fields':
      if (!isObject(child)) break;
      delete origins[path];
      return mergeObject(
        isObject(parent) ? parent : {},
        child,
        rule.fields,
        `${path}.`,
        source,
        origins,
      );
    default:
      return assertNever(rule);
  }
  // A value whose shape does not fit its rule cannot be combined: it replaces, like `override`.
  return replace(child, path, source, origins);
}

function replace(value: unknown, path: string, source: string, origins: Record<string, string>) {
  clearBelow(path, origins);
  origins[path] = source;
  return value;
}

/** Removes the origins of the items and fields below `path`. */
function clearBelow(path: string, origins: Record<string, string>): void {
  for (const key of Object.keys(origins)) {
    if (key.startsWith(`${path}[`) || key.startsWith(`${path}.`)) delete origins[key];
  }
}

function appendItems(
  parent: readonly unknown[],
  child: readonly unknown[],
  path: string,
  source: string,
  origins: Record<string, string>,
): unknown[] {
  const items: unknown[] = [];
  const itemOrigins: Array<string | undefined> = [];
  const seen = new Set<string>();
  const add = (item: unknown, origin: string | undefined): void => {
    const identity = canonical(item);
    if (seen.has(identity)) return;
    seen.add(identity);
    items.push(item);
    itemOrigins.push(origin);
  };
  parent.forEach((item, index) => {
    add(item, origins[`${path}[${index}]`]);
  });
  for (const item of child) add(item, source);
  // Indices may shift when the parent held duplicates: rewrite this list's entries from scratch.
  clearBelow(path, origins);
  itemOrigins.forEach((origin, index) => {
    if (origin !== undefined) origins[`${path}[${index}]`] = origin;
  });
  return items;
}

function mergeByKey(
  parent: readonly unknown[],
  child: readonly unknown[],
  keyField: string,
  path: string,
  source: string,
  origins: Record<string, string>,
): unknown[] {
  const items: unknown[] = [];
  const positions = new Map<string, number>();
  const put = (item: unknown): string | undefined => {
    const key = isObject(item) ? item[keyField] : undefined;
    if (typeof key !== 'string') {
      items.push(item);
      return undefined;
    }
    const position = positions.get(key);
    if (position === undefined) {
      positions.set(key, items.length);
      items.push(item);
    } else {
      items[position] = item;
    }
    return key;
  };
  for (const item of parent) put(item);
  for (const item of child) {
    const key = put(item);
    if (key !== undefined) origins[`${path}.${key}`] = source;
  }
  return items;
}

/** A string equal for structurally equal JSON values (object key order and `undefined` ignored). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const fields = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function assertNever(value: never): never {
  throw new Error(`unhandled merge rule: ${JSON.stringify(value)}`);
}
