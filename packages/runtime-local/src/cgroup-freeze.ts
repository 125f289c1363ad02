/**
 * Holding a running sandbox still for a moment (a snapshot's copy). With cgroup v2: the freezer
 * (`cgroup.freeze` set to 1 until `cgroup.events` says `frozen 1`, then restored; a sandbox
 * frozen already, paused, stays frozen). With cgroup v1 (no freezer controller is delegated to
 * sandboxes): SIGSTOP to every process of its cgroup, again until no new one appears, then
 * SIGCONT to those it stopped. Without cgroups (rlimits) nothing can be found to hold.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const FREEZE_WAIT_MS = 2_000;
const STOP_ROUNDS = 10;

export type Freeze = {
  /** Whether every process of the sandbox is held now. */
  isFrozen: boolean;
  /** Lets them go on as they were. Idempotent. */
  thaw(): void;
};

const NOTHING: Freeze = { isFrozen: false, thaw: () => {} };

function isFrozenV2(dir: string): boolean {
  try {
    return /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

async function freezeV2(dir: string): Promise<Freeze> {
  const file = join(dir, 'cgroup.freeze');
  let before: string;
  try {
    before = readFileSync(file, 'utf8').trim();
  } catch {
    return NOTHING;
  }
  if (before === '1') return { isFrozen: isFrozenV2(dir), thaw: () => {} };
  writeFileSync(file, '1');
  let thawed = false;
  const thaw = () => {
    if (thawed) return;
    thawed = true;
    try {
      writeFileSync(file, '0');
    } catch {}
  };
  const deadline = Date.now() + FREEZE_WAIT_MS;
  while (!isFrozenV2(dir) && Date.now() < deadline) await sleep(1);
  return { isFrozen: isFrozenV2(dir), thaw };
}

function pidsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether the process is stopped already (state `T`), by the sandbox's own doing. */
function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

function stopAll(dir: string): Freeze {
  const stopped = new Set<number>();
  const untouched = new Set<number>();
  let isStable = false;
  for (let round = 0; round < STOP_ROUNDS && !isStable; round++) {
    isStable = true;
    for (const pid of pidsOf(dir)) {
      if (stopped.has(pid) || untouched.has(pid)) continue;
      isStable = false;
      if (isStopped(pid)) {
        untouched.add(pid);
        continue;
      }
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.add(pid);
      } catch {}
    }
  }
  let thawed = false;
  return {
    isFrozen: isStable,
    thaw: () => {
      if (thawed) return;
      thawed = true;
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {}
      }
    },
  };
}

/**
 * Holds every process of a sandbox whose limits are in `cgroups` (its directories, by
 * `mechanism`); `isFrozen` says whether it could.
 */
export async function freezeSandbox(
  mechanism: 'cgroup-v2' | 'cgroup-v1' | 'rlimit',
  cgroups: readonly string[],
): Promise<Freeze> {
  const [first] = cgroups;
  if (first === undefined || mechanism === 'rlimit') return NOTHING;
  return mechanism === 'cgroup-v2' ? freezeV2(first) : stopAll(first);
}
