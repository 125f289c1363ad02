/**
 * Enabling and disabling catalog entries. The catalog's `enabled` flags are the state; both
 * operations are pure and return the new catalog plus what changed, so the repository writer can
 * commit exactly that.
 *
 * - `enable` turns on the named entries and, transitively, everything they depend on.
 * - `disable` refuses (`conflict`) while an enabled entry that is not being disabled depends on
 *   a named one. With `force` it disables only the named entries and reports in `broken` every
 *   enabled entry left without a dependency: it never disables more than the user named.
 * - Unknown names fail with `not_found`, naming the closest entries.
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import type { CatalogEntry } from './catalog-entry.ts';
import { type Catalog, catalogOf } from './catalog-graph.ts';
import { nearMatches } from './near-matches.ts';

export interface EnableResult {
  readonly catalog: Catalog;
  /** Entries switched on by this call (named or pulled in), dependencies first. */
  readonly enabled: readonly string[];
}

export interface DisableResult {
  readonly catalog: Catalog;
  /** Entries switched off by this call. */
  readonly disabled: readonly string[];
  /** With `force`: enabled entries now missing a dependency, and which ones. */
  readonly broken: readonly { readonly name: string; readonly missing: readonly string[] }[];
}

/** Names of the enabled entries, in catalog order. */
export function enabledNames(catalog: Catalog): string[] {
  return catalog.entries.filter((e) => e.enabled).map((e) => e.name);
}

/** `names` and everything they depend on, transitively, in dependency order (tier, then name). */
export function dependencyClosure(catalog: Catalog, names: readonly string[]): string[] {
  requireKnown(catalog, names);
  const closed = new Set<string>();
  const pending = [...names];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (closed.has(name)) continue;
    closed.add(name);
    pending.push(...(catalog.byName.get(name)?.dependsOn ?? []));
  }
  return inRolloutOrder(catalog, closed);
}

export function enable(catalog: Catalog, names: readonly string[]): EnableResult {
  const wanted = new Set(dependencyClosure(catalog, names));
  const enabled = inRolloutOrder(
    catalog,
    [...wanted].filter((n) => catalog.byName.get(n)?.enabled !== true),
  );
  return { catalog: withFlags(catalog, (e) => e.enabled || wanted.has(e.name)), enabled };
}

export function disable(
  catalog: Catalog,
  names: readonly string[],
  options: { readonly force?: boolean } = {},
): DisableResult {
  requireKnown(catalog, names);
  const off = new Set(names);
  const remaining = catalog.entries.filter((e) => e.enabled && !off.has(e.name));
  const broken = remaining
    .map((e) => ({ name: e.name, missing: e.dependsOn.filter((d) => off.has(d)) }))
    .filter((b) => b.missing.length > 0);
  if (broken.length > 0 && options.force !== true) {
    const list = broken.map((b) => `${b.name} (needs ${b.missing.join(', ')})`).join('; ');
    throw new PaddockError(
      ErrorCode.Conflict,
      `cannot disable ${names.join(', ')}: enabled entries depend on it: ${list}; disable them too, or use --force`,
      { dependents: broken.map((b) => ({ name: b.name, missing: [...b.missing] })) },
    );
  }
  const disabled = catalog.entries.filter((e) => e.enabled && off.has(e.name)).map((e) => e.name);
  return { catalog: withFlags(catalog, (e) => e.enabled && !off.has(e.name)), disabled, broken };
}

/** Throws `not_found` naming every unknown name and, for each, the closest catalog entries. */
export function requireKnown(catalog: Catalog, names: readonly string[]): void {
  const known = [...catalog.byName.keys()];
  const unknown = [...new Set(names)].filter((n) => !catalog.byName.has(n));
  if (unknown.length === 0) return;
  const suggestions = Object.fromEntries(unknown.map((n) => [n, nearMatches(n, known)]));
  const text = unknown
    .map((n) => {
      const near = suggestions[n] ?? [];
      return near.length > 0 ? `${n} (did you mean ${near.join(', ')}?)` : n;
    })
    .join(', ');
  throw new PaddockError(ErrorCode.NotFound, `no catalog entry named ${text}`, {
    unknown,
    suggestions,
  });
}

function withFlags(catalog: Catalog, isOn: (entry: CatalogEntry) => boolean): Catalog {
  return catalogOf(
    catalog.entries.map((e) => (isOn(e) === e.enabled ? e : { ...e, enabled: !e.enabled })),
  );
}

function inRolloutOrder(catalog: Catalog, names: Iterable<string>): string[] {
  const tier = (n: string) => catalog.byName.get(n)?.tier ?? 0;
  return [...names].sort((a, b) => tier(a) - tier(b) || a.localeCompare(b));
}
