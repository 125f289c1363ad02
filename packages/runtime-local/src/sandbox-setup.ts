import { existsSync, readFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
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
 * Creates a sandbox's directories: traversable (0711) but not listable on the way down,
 * workspace and home private to the sandbox's host uid, runtime files private to root; the
 * egress proxy's directory only for a sandbox that has one (`hasEgress`). Off the event loop and
 * side by side: on a busy disk each mkdir waits for the journal.
 */
export async function createSandboxDirs(
  dirs: SandboxDirs,
  owner: number | undefined,
  hasEgress: boolean,
): Promise<void> {
  // The namespace directory too, with the same mode.
  await makeDir(dirs.dir, 0o711);
  const owned = async (dir: string) => {
    await makeDir(dir, 0o700);
    if (owner !== undefined) await chown(dir, owner, owner);
  };
  // `procs` and `run` are made when a process first needs them: a start pays for fewer mkdirs.
  await Promise.all([
    owned(dirs.workspace),
    owned(dirs.home),
    makeDir(dirs.etc, 0o755),
    hasEgress ? makeDir(dirs.egress, 0o711) : undefined,
    makeDir(dirs.logs, 0o700),
  ]);
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
