/**
 * The catalog as a dependency graph, validated as a whole: names unique, every dependency known,
 * no cycle (the cycle is named), and every dependency in a strictly lower tier than its dependent.
 * Every problem is reported at once as `validation_failed` with `details.issues`.
 */
import { ErrorCode, type FieldIssue, fieldIssues, PaddockError } from '@paddock/core';
import { CatalogEntry } from './catalog-entry.ts';

/** A validated catalog: entries in input order, looked up by name. */
export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly byName: ReadonlyMap<string, CatalogEntry>;
}

/** Parses and validates entries (compiled-in or user-supplied) into a catalog. */
export function parseCatalog(inputs: readonly unknown[]): Catalog {
  const issues: FieldIssue[] = [];
  const entries: CatalogEntry[] = [];
  inputs.forEach((input, index) => {
    const result = CatalogEntry.safeParse(input);
    if (result.success) entries.push(result.data);
    else issues.push(...fieldIssues(result.error, `[${index}]`));
  });
  if (issues.length === 0) issues.push(...graphIssues(entries));
  if (issues.length > 0) {
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid catalog: ${summary}`, { issues });
  }
  return catalogOf(entries);
}

/** The catalog with `entries` added, or replacing those of the same name; validated again. */
export function withEntries(catalog: Catalog, entries: readonly unknown[]): Catalog {
  const replaced = new Set(entries.map(nameOf));
  const kept = catalog.entries.filter((e) => !replaced.has(e.name));
  return parseCatalog([...kept, ...entries]);
}

/** Builds the lookup of already validated entries (used after enable/disable flip flags). */
export function catalogOf(entries: readonly CatalogEntry[]): Catalog {
  return { entries, byName: new Map(entries.map((e) => [e.name, e])) };
}

function nameOf(entry: unknown): unknown {
  return typeof entry === 'object' && entry !== null && 'name' in entry ? entry.name : undefined;
}

function graphIssues(entries: readonly CatalogEntry[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const byName = new Map<string, CatalogEntry>();
  for (const entry of entries) {
    if (byName.has(entry.name)) issues.push({ path: entry.name, message: 'defined twice' });
    byName.set(entry.name, entry);
  }
  for (const entry of entries) {
    for (const dependency of entry.dependsOn) {
      if (!byName.has(dependency)) {
        issues.push({
          path: `${entry.name}.dependsOn`,
          message: `depends on ${dependency}, which is not in the catalog`,
        });
      }
    }
  }
  if (issues.length > 0) return issues;
  const cycle = findCycle(byName);
  if (cycle !== undefined) {
    return [{ path: `${cycle[0]}.dependsOn`, message: `dependency cycle: ${cycle.join(' -> ')}` }];
  }
  for (const entry of entries) {
    for (const dependency of entry.dependsOn) {
      const tier = byName.get(dependency)?.tier ?? 0;
      if (tier >= entry.tier) {
        issues.push({
          path: `${entry.name}.tier`,
          message: `tier ${entry.tier} depends on ${dependency} in tier ${tier}; a dependency must be in a lower tier`,
        });
      }
    }
  }
  return issues;
}

/**
 * A dependency cycle, if any, as the path that closes it: `[a, b, c, a]` (a self-dependency is
 * `[a, a]`). Depth-first with colours; deterministic in entry order.
 */
export function findCycle(
  byName: ReadonlyMap<string, { readonly dependsOn: readonly string[] }>,
): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const seen = state.get(name);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      const cycle = visit(dependency);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of byName.keys()) {
    const cycle = visit(name);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}
