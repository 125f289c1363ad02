/**
 * Host uids for sandbox users, claimed host-wide: each sandbox runs as a host uid of its own, and
 * two runtimes on one host (two `paddock up` with different data directories, or tests side by
 * side) must not hand out the same one — sandboxes sharing a uid would share its rlimits and could
 * reach each other's files wherever a path is visible to both. A claim is a file named by the uid
 * in `claimsDir` (root-only, on the tmpfs `/run`), created exclusively and holding the runtime
 * root that owns it; a claim whose root no longer holds a sandbox with that uid is stale and taken
 * over. Without a usable claims directory (see `prepareClaimsDir`) the runtime falls back to uids
 * unique under its root.
 */
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSandboxDirs, readState, SandboxDirs } from './sandbox-state.ts';

/** Where claims live by default. */
export const HOST_UID_CLAIMS_DIR = '/run/paddock/host-uids';

/** The host uids the sandboxes under `root` hold. */
function uidsUnder(root: string): Set<number> {
  const used = new Set<number>();
  for (const entry of listSandboxDirs(root)) {
    try {
      const state = readState(new SandboxDirs(root, entry));
      if (state) used.add(state.hostUid);
    } catch {}
  }
  return used;
}

function holderOf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Creates `claimsDir` (root-only) once per runtime; where it cannot be, claims are skipped. */
export function prepareClaimsDir(claimsDir = HOST_UID_CLAIMS_DIR): void {
  try {
    mkdirSync(claimsDir, { recursive: true, mode: 0o700 });
  } catch {}
}

/** A claim may be that young before its sandbox's state names the uid. */
const CLAIM_GRACE_MS = 60_000;

/**
 * Whether the claim at `path` may be taken over: ours but unheld (a destroy that did not
 * release), its runtime's directory gone, or old enough that its sandbox would hold it by now.
 * `uidsOf` is `uidsUnder`, read once per other runtime however many of its claims are passed.
 */
function isStale(
  path: string,
  root: string,
  uid: number,
  uidsOf: (root: string) => Set<number>,
): boolean {
  const holder = holderOf(path);
  if (holder === undefined) return false;
  if (holder === root || !existsSync(holder)) return true;
  const ageMs = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
  return ageMs > CLAIM_GRACE_MS && !uidsOf(holder).has(uid);
}

/**
 * The lowest host uid from `base` that no sandbox under `root` holds and no other runtime has
 * claimed, claimed for `root`.
 */
export function claimHostUid(root: string, base: number, claimsDir = HOST_UID_CLAIMS_DIR): number {
  const ours = uidsUnder(root);
  const theirs = new Map<string, Set<number>>();
  const uidsOf = (holder: string): Set<number> => {
    const uids = theirs.get(holder) ?? uidsUnder(holder);
    theirs.set(holder, uids);
    return uids;
  };
  for (let uid = base; ; uid++) {
    if (ours.has(uid)) continue;
    const path = join(claimsDir, String(uid));
    try {
      writeFileSync(path, root, { flag: 'wx', mode: 0o600 });
      return uid;
    } catch (error) {
      // No usable claims directory (or another failure): unique under our root only.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return uid;
    }
    if (isStale(path, root, uid, uidsOf)) {
      writeFileSync(path, root, { mode: 0o600 });
      return uid;
    }
  }
}

/** Gives `uid` back once `root`'s sandbox that held it is destroyed. */
export function releaseHostUid(root: string, uid: number, claimsDir = HOST_UID_CLAIMS_DIR): void {
  const path = join(claimsDir, String(uid));
  if (holderOf(path) !== root) return;
  try {
    unlinkSync(path);
  } catch {}
}
