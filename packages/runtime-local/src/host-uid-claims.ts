/**
 * Host uids for sandbox users, claimed host-wide: each sandbox runs as a host uid of its own, and
 * two runtimes on one host (two `paddock up` with different data directories, or tests side by
 * side) must not hand out the same one — sandboxes sharing a uid would share its rlimits and could
 * reach each other's files wherever a path is visible to both. A claim is a file named by the uid
 * in `claimsDir` (root-only, on the tmpfs `/run`), created exclusively and holding the runtime
 * root that owns it; a claim whose root no longer holds a sandbox with that uid is stale and taken
 * over. Without a usable claims directory (see `prepareClaimsDir`) the runtime falls back to uids
 * unique under its root.
 *
 * Within one root a uid is never handed out twice: a destroyed sandbox's files may outlive it
 * where other sandboxes of the root look (a volume), owned by its uid, and a later sandbox running
 * as that uid would own them (a file of mode 0600 left in a shared volume would be its to read).
 * Where the next claim starts is kept in `<root>/.host-uid-next` across restarts.
 */
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSandboxDirs, readState, SandboxDirs } from './sandbox-state.ts';

/** Where claims live by default. */
export const HOST_UID_CLAIMS_DIR = '/run/paddock/host-uids';

/** Under a runtime's root: the uid its next claim starts from. */
const NEXT_FILE = '.host-uid-next';

/** The uid the root's next claim starts from, as last recorded; `base` when none is. */
function recordedNext(root: string, base: number): number {
  let text: string;
  try {
    text = readFileSync(join(root, NEXT_FILE), 'utf8');
  } catch {
    return base;
  }
  const next = Number(text.trim());
  return Number.isSafeInteger(next) && next > base ? next : base;
}

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
 * The host uids one runtime claims and gives back. The uids its own sandboxes hold are read from
 * their state once, at the first claim, then kept; the search for a free uid resumes where the
 * last one ended (recorded under the root, never going back to a uid given back), so a claim costs
 * a few system calls however many sandboxes the root holds.
 */
export class HostUidClaims {
  readonly #root: string;
  readonly #claimsDir: string;
  #ours: Set<number> | undefined;
  #next: number;

  constructor(root: string, base: number, claimsDir = HOST_UID_CLAIMS_DIR) {
    this.#root = root;
    this.#claimsDir = claimsDir;
    this.#next = base;
  }

  /** A host uid that no sandbox under the root holds and no other runtime has claimed. */
  claim(): number {
    if (this.#ours === undefined) {
      this.#ours = uidsUnder(this.#root);
      this.#next = Math.max(this.#next, recordedNext(this.#root, this.#next), ...this.#ours);
    }
    const ours = this.#ours;
    const theirs = new Map<string, Set<number>>();
    const uidsOf = (holder: string): Set<number> => {
      const uids = theirs.get(holder) ?? uidsUnder(holder);
      theirs.set(holder, uids);
      return uids;
    };
    for (let uid = this.#next; ; uid++) {
      if (ours.has(uid)) continue;
      if (this.#take(uid, uidsOf)) {
        ours.add(uid);
        this.#next = uid + 1;
        try {
          writeFileSync(join(this.#root, NEXT_FILE), `${this.#next}\n`, { mode: 0o600 });
        } catch {}
        return uid;
      }
    }
  }

  /**
   * Gives `uid` back once the root's sandbox that held it is destroyed: to other roots, never to
   * this one (see the module comment).
   */
  release(uid: number): void {
    this.#ours?.delete(uid);
    const path = join(this.#claimsDir, String(uid));
    if (holderOf(path) !== this.#root) return;
    try {
      unlinkSync(path);
    } catch {}
  }

  #take(uid: number, uidsOf: (root: string) => Set<number>): boolean {
    const path = join(this.#claimsDir, String(uid));
    try {
      writeFileSync(path, this.#root, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      // No usable claims directory (or another failure): unique under our root only.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
    }
    if (isStale(path, this.#root, uid, uidsOf)) {
      writeFileSync(path, this.#root, { mode: 0o600 });
      return true;
    }
    return false;
  }
}
