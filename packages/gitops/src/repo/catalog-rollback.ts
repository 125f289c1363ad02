// A rollback of one catalog entry restores only that entry's files, so it can bring back a state
// the catalog's dependency rule no longer holds in: an entry enabled whose dependency has since
// been disabled, or an entry disabled (or removed) that an enabled one has come to depend on.
// This check, given to AppHistory.revert, refuses such a rollback before anything is written.
import { ErrorCode, PaddockError } from '@paddock/core';
import { parse } from 'yaml';
import {
  type CatalogEntry,
  type DependencyProblem,
  describeProblems,
  newDependencyProblems,
} from '../catalog/index.ts';
import { readCatalogEntry } from './catalog-state.ts';
import type { RollbackCheck } from './history.ts';
import { catalogFile, catalogValuesFile } from './layout.ts';

/** The entry `name` as files restored by a rollback hold it, or undefined when they remove it. */
function restoredEntry(
  name: string,
  restored: ReadonlyMap<string, string | undefined>,
  repoURL: string,
): CatalogEntry | undefined {
  const text = restored.get(catalogFile(name));
  if (text === undefined) return undefined;
  const values = parse(restored.get(catalogValuesFile(name)) ?? '') ?? {};
  return readCatalogEntry(`${catalogFile(name)} at the revision restored`, text, values, repoURL);
}

/**
 * The check of a rollback of catalog entry `name`: the catalog `current` (the repository's now)
 * with that entry as restored must not leave an enabled entry with a disabled or missing
 * dependency it does not miss now. Refused with `conflict` naming each such dependency, unless
 * `force`; then `onForced` is told of them and the rollback goes on.
 */
export function catalogRollbackCheck(options: {
  name: string;
  current: readonly CatalogEntry[];
  repoURL: string;
  force?: boolean;
  onForced?: (problems: DependencyProblem[]) => void;
}): RollbackCheck {
  const { name, current } = options;
  return (restored, to) => {
    const entry = restoredEntry(name, restored, options.repoURL);
    const after = [
      ...current.filter((e) => e.name !== name),
      ...(entry === undefined ? [] : [entry]),
    ];
    const problems = newDependencyProblems(current, after);
    if (problems.length === 0) return;
    if (options.force === true) {
      options.onForced?.(problems);
      return;
    }
    throw new PaddockError(
      ErrorCode.Conflict,
      `rolling back catalog entry ${name} to ${to.shortSha} (${to.subject}) would leave ${describeProblems(problems, after)}: enable ${[...new Set(problems.flatMap((p) => p.missing))].join(', ')} first, or use --force`,
      { name, problems, hint: `paddock app enable NAME pulls in what an entry depends on` },
    );
  };
}
