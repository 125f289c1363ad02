/**
 * The rule the catalog keeps: an enabled entry's dependencies are enabled too. `enable` keeps it
 * by pulling them in and `disable` by refusing; a state written another way (a rollback of one
 * entry's files to an earlier commit) is checked with these before it is committed.
 */
import type { CatalogEntry } from './catalog-entry.ts';

/** An enabled entry and its dependencies that are disabled or not in the catalog at all. */
export type DependencyProblem = { name: string; missing: string[] };

/** Every enabled entry of `entries` with a dependency that is disabled or absent, in their order. */
export function dependencyProblems(entries: readonly CatalogEntry[]): DependencyProblem[] {
  const enabled = new Set(entries.filter((e) => e.enabled).map((e) => e.name));
  return entries
    .filter((e) => e.enabled)
    .map((e) => ({ name: e.name, missing: e.dependsOn.filter((d) => !enabled.has(d)) }))
    .filter((p) => p.missing.length > 0);
}

/**
 * The problems `after` has that `before` had not: each enabled entry of `after` with the
 * dependencies it misses there but did not miss in `before` (a problem forced in earlier with
 * `disable --force` is not blamed on the change).
 */
export function newDependencyProblems(
  before: readonly CatalogEntry[],
  after: readonly CatalogEntry[],
): DependencyProblem[] {
  const earlier = new Map(dependencyProblems(before).map((p) => [p.name, new Set(p.missing)]));
  return dependencyProblems(after)
    .map((p) => ({ name: p.name, missing: p.missing.filter((m) => !earlier.get(p.name)?.has(m)) }))
    .filter((p) => p.missing.length > 0);
}

/** `litellm enabled without postgresql (disabled); qdrant enabled without minio (not in the catalog)`. */
export function describeProblems(
  problems: readonly DependencyProblem[],
  entries: readonly CatalogEntry[],
): string {
  const known = new Set(entries.map((e) => e.name));
  return problems
    .map(
      (p) =>
        `${p.name} enabled without ${p.missing
          .map((m) => `${m} (${known.has(m) ? 'disabled' : 'not in the catalog'})`)
          .join(', ')}`,
    )
    .join('; ');
}
