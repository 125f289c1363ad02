import { existsSync, readFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { LaunchStep } from './launch-steps.ts';
import { makeDir, type SandboxDirs } from './sandbox-state.ts';

/**
 * A directory rootfs must exist, must not be `/` and must stay apart from Paddock's data
 * directory: its world-readable files become the sandbox's system.
 */
export function checkRootfs(rootfs: string, dataDir: string): void {
  const overlaps = (a: string, b: string) => {
    const rel = relative(a, b);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
  };
  if (
    rootfs === '/' ||
    overlaps(rootfs, dataDir) ||
    overlaps(dataDir, rootfs) ||
    !existsSync(rootfs)
  ) {
    const message =
      'must be an existing directory, not / and not inside the Paddock data directory';
    throw new PaddockError(ErrorCode.ValidationFailed, `rootfs ${rootfs} ${message}`, {
      issues: [{ path: 'rootfs', message }],
    });
  }
}

/**
 * A sandbox's directories, parents first: traversable (0711) but not listable on the way down
 * (the namespace's directory too), workspace and home private to the sandbox's host uid
 * (`owner`, when Paddock runs as root), runtime files private to root; the egress proxy's
 * directory only for a sandbox that has one (`hasEgress`). `procs` and `run` are made when a
 * process first needs them: a start pays for fewer mkdirs.
 */
function sandboxDirLayout(
  dirs: SandboxDirs,
  owner: number | undefined,
  hasEgress: boolean,
): Array<{ path: string; mode: number; owner?: number }> {
  const owned = owner === undefined ? {} : { owner };
  return [
    { path: dirname(dirs.dir), mode: 0o711 },
    { path: dirs.dir, mode: 0o711 },
    { path: dirs.workspace, mode: 0o700, ...owned },
    { path: dirs.home, mode: 0o700, ...owned },
    { path: dirs.etc, mode: 0o755 },
    ...(hasEgress ? [{ path: dirs.egress, mode: 0o711 }] : []),
    { path: dirs.logs, mode: 0o700 },
  ];
}

/**
 * Creates a sandbox's directories (`sandboxDirLayout`). Off the event loop and side by side: on
 * a busy disk each mkdir waits for the journal.
 */
export async function createSandboxDirs(
  dirs: SandboxDirs,
  owner: number | undefined,
  hasEgress: boolean,
): Promise<void> {
  // Recursive: the namespace's directory is made with the same mode.
  const [, , ...inside] = sandboxDirLayout(dirs, owner, hasEgress);
  await makeDir(dirs.dir, 0o711);
  await Promise.all(
    inside.map(async (entry) => {
      await makeDir(entry.path, entry.mode);
      if (entry.owner !== undefined) await chown(entry.path, entry.owner, entry.owner);
    }),
  );
}

/** The same directories as steps of the launcher's watcher (`launch-steps.ts`), in one go. */
export function sandboxDirSteps(
  dirs: SandboxDirs,
  owner: number | undefined,
  hasEgress: boolean,
): LaunchStep[] {
  return sandboxDirLayout(dirs, owner, hasEgress).map((entry) => ({ op: 'mkdir', ...entry }));
}

/** The exit of the sandbox's init as bwrap recorded it (`{"exit-code": N}`), if it ended. */
export function initExit(dirs: SandboxDirs): string | undefined {
  try {
    const match = /"exit-code"\s*:\s*(\d+)/.exec(
      readFileSync(join(dirs.logs, 'bwrap-status.jsonl'), 'utf8'),
    );
    return match ? `code ${match[1]}` : undefined;
  } catch {
    return undefined;
  }
}
