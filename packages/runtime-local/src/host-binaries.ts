import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { HostBinaries } from './host-commands.ts';

const SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The absolute path of an executable on the search path, or undefined. */
export function findExecutable(
  name: string,
  searchPath: string = `${process.env.PATH ?? ''}:${SEARCH_PATH}`,
): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type ResolvedBinaries = { binaries: HostBinaries; missing: string[] };

/**
 * Finds the host tools the runtime uses; `overrides` name a path instead (a path that does not
 * exist makes the tool missing, which tests use to simulate a host without runsc).
 */
export function resolveBinaries(overrides: Partial<HostBinaries> = {}): ResolvedBinaries {
  const missing: string[] = [];
  const find = (name: keyof HostBinaries, command: string): string => {
    const override = overrides[name];
    const path = override === undefined ? findExecutable(command) : findExecutable(override);
    if (path === undefined) missing.push(command);
    return path ?? override ?? command;
  };
  const binaries: HostBinaries = {
    bash: find('bash', 'bash'),
    perl: find('perl', 'perl'),
    bwrap: find('bwrap', 'bwrap'),
  };
  const runsc =
    overrides.runsc === undefined ? findExecutable('runsc') : findExecutable(overrides.runsc);
  if (runsc !== undefined) binaries.runsc = runsc;
  return { binaries, missing };
}
