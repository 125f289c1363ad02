/**
 * Holding a running sandbox still for a moment (a snapshot's copy). With cgroup v2: the freezer
 * (`cgroup.freeze` set to 1 until `cgroup.events` says `frozen 1`, then restored; a sandbox
 * frozen already, paused, stays frozen). With cgroup v1 (no freezer controller is delegated to
 * sandboxes): SIGSTOP to every process of its cgroup, again until all of them are stopped, then
 * SIGCONT to those it stopped. Without cgroups (rlimits): the same to every process of its pid
 * namespace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const FREEZE_WAIT_MS = 2_000;

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

/**
 * Whether the process runs no code until something continues it: stopped (`T`), in a tracing stop
 * (`t`, its tracer being a sandbox process, stopped too), or dead (`Z`, `X`).
 */
function isHeld(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[TtZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/**
 * SIGSTOP to every process `pidsNow` lists, again until one scan finds every one of them held:
 * a process the sandbox forked meanwhile, or one it had stopped and another of its processes
 * continued, is stopped too. Only the processes stopped here are continued by `thaw`.
 */
async function stopAll(pidsNow: () => number[]): Promise<Freeze> {
  const stopped = new Set<number>();
  const deadline = Date.now() + FREEZE_WAIT_MS;
  let isFrozen = false;
  for (;;) {
    const running = pidsNow().filter((pid) => !isHeld(pid));
    if (running.length === 0) {
      isFrozen = true;
      break;
    }
    if (Date.now() > deadline) break;
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.add(pid);
      } catch {}
    }
    await sleep(1);
  }
  let thawed = false;
  return {
    isFrozen,
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
 * `mechanism`); without cgroups (rlimits), those `namespacePids` lists (its pid namespace's).
 * `isFrozen` says whether it could.
 */
export async function freezeSandbox(
  mechanism: 'cgroup-v2' | 'cgroup-v1' | 'rlimit',
  cgroups: readonly string[],
  namespacePids: () => number[],
): Promise<Freeze> {
  const [first] = cgroups;
  if (mechanism === 'rlimit') return stopAll(namespacePids);
  if (first === undefined) return NOTHING;
  return mechanism === 'cgroup-v2' ? freezeV2(first) : stopAll(() => pidsOf(first));
}
