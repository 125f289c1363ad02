import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CgroupLayout, CONTROLLERS } from './cgroup-detect.ts';
import type { LaunchStep } from './launch-steps.ts';
import {
  type CgroupSetting,
  cgroupV1Settings,
  cgroupV2Settings,
  type SandboxLimits,
} from './resource-limits.ts';

/** The cgroup directories of one sandbox: one on v2, one per controller on v1. */
export function sandboxCgroupDirs(layout: CgroupLayout, key: string): string[] {
  if (layout.mechanism === 'cgroup-v2') return [join(layout.base, key)];
  return [...new Set(CONTROLLERS.map((c) => join(layout.bases[c], key)))];
}

/**
 * Creates the sandbox's cgroups and writes its limits; returns their directories. Off the event
 * loop: creating a memory cgroup takes the kernel a while.
 */
export async function createSandboxCgroups(
  layout: CgroupLayout,
  key: string,
  limits: SandboxLimits,
): Promise<string[]> {
  const dirs = sandboxCgroupDirs(layout, key);
  await Promise.all(dirs.map((dir) => mkdir(dir, { recursive: true })));
  if (layout.mechanism === 'cgroup-v2') {
    const [dir] = dirs as [string];
    const hasSwap = await exists(join(dir, 'memory.swap.max'));
    await byController(cgroupV2Settings(limits, hasSwap), (s) =>
      writeFile(join(dir, s.file), s.value),
    );
    return dirs;
  }
  const memoryDir = join(layout.bases.memory, key);
  const hasMemsw = await exists(join(memoryDir, 'memory.memsw.limit_in_bytes'));
  // Lowering a limit below the current memory+swap limit needs the memory+swap one first.
  await byController(cgroupV1Settings(limits, hasMemsw), async (s) => {
    const path = join(layout.bases[s.controller], key, s.file);
    try {
      await writeFile(path, s.value);
    } catch (error) {
      if (s.file !== 'memory.limit_in_bytes' || !hasMemsw) throw error;
      await writeFile(join(memoryDir, 'memory.memsw.limit_in_bytes'), s.value);
      await writeFile(path, s.value);
    }
  });
  return dirs;
}

/** Whether memory cgroups under the layout's base have a swap limit (looked at once per base). */
const swapLimits = new Map<string, boolean>();
function hasSwapLimit(layout: CgroupLayout): boolean {
  const file =
    layout.mechanism === 'cgroup-v2'
      ? join(layout.base, 'memory.swap.max')
      : join(layout.bases.memory, 'memory.memsw.limit_in_bytes');
  const has = swapLimits.get(file) ?? existsSync(file);
  swapLimits.set(file, has);
  return has;
}

/**
 * What `createSandboxCgroups` does, as steps of the launcher's watcher (`launch-steps.ts`), with
 * the cgroups' directories: the start's file work in one go, off the event loop.
 */
export function cgroupSteps(
  layout: CgroupLayout,
  key: string,
  limits: SandboxLimits,
): { dirs: string[]; steps: LaunchStep[] } {
  const dirs = sandboxCgroupDirs(layout, key);
  const steps: LaunchStep[] = dirs.map((path) => ({ op: 'mkdir', path, mode: 0o777 }));
  const hasSwap = hasSwapLimit(layout);
  if (layout.mechanism === 'cgroup-v2') {
    const [dir] = dirs as [string];
    for (const s of cgroupV2Settings(limits, hasSwap))
      steps.push({ op: 'set', path: join(dir, s.file), value: s.value });
    return { dirs, steps };
  }
  const memsw = join(layout.bases.memory, key, 'memory.memsw.limit_in_bytes');
  for (const s of cgroupV1Settings(limits, hasSwap)) {
    const path = join(layout.bases[s.controller], key, s.file);
    // As in createSandboxCgroups: a memory limit above the memory+swap one needs that one first.
    const isMemory = s.file === 'memory.limit_in_bytes' && hasSwap;
    steps.push({ op: 'set', path, value: s.value, ...(isMemory ? { alt: memsw } : {}) });
  }
  return { dirs, steps };
}

/**
 * Applies `settings` in their order within each controller and the controllers side by side:
 * each write waits for a thread of the pool, so the start waits for the longest chain only.
 */
async function byController(
  settings: readonly CgroupSetting[],
  apply: (setting: CgroupSetting) => Promise<void>,
): Promise<void> {
  const chains = new Map<string, CgroupSetting[]>();
  for (const s of settings) chains.set(s.controller, [...(chains.get(s.controller) ?? []), s]);
  await Promise.all(
    [...chains.values()].map(async (chain) => {
      for (const s of chain) await apply(s);
    }),
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The files a single-threaded process writes `0` (itself) into to join the sandbox's cgroups.
 * On v1 that is `tasks`: the kernel moves the writing thread without the global threadgroup
 * lock, whose first write-lock after a quiet spell waits out an RCU grace period (5–15 ms).
 */
export function cgroupJoinFiles(
  dirs: readonly string[],
  mechanism: 'cgroup-v2' | 'cgroup-v1' | 'rlimit',
): string[] {
  return dirs.map((d) => join(d, mechanism === 'cgroup-v1' ? 'tasks' : 'cgroup.procs'));
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const KILL_TIMEOUT_MS = 2_000;
/** Killed processes leave their cgroup within a few ms: poll at that pace, not in 20 ms steps. */
const POLL_MS = 2;

/** Kills every process in the sandbox's cgroups (cgroup.kill on v2, one by one on v1). */
export async function killCgroups(dirs: readonly string[]): Promise<void> {
  const deadline = Date.now() + KILL_TIMEOUT_MS;
  for (;;) {
    let remaining = 0;
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      const killFile = join(dir, 'cgroup.kill');
      if (existsSync(killFile)) {
        try {
          writeFileSync(killFile, '1');
        } catch {}
      }
      for (const pid of pidsIn(dir)) {
        remaining += 1;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    if (remaining === 0 || Date.now() >= deadline) return;
    await sleep(POLL_MS);
  }
}

/** Kills what is left in the sandbox's cgroups and removes them. */
export async function removeCgroups(dirs: readonly string[]): Promise<void> {
  await killCgroups(dirs);
  for (const dir of dirs) {
    const deadline = Date.now() + KILL_TIMEOUT_MS;
    while (existsSync(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        if (Date.now() >= deadline) break;
        await sleep(POLL_MS);
      }
    }
  }
}

/** How many times the kernel's OOM killer acted in the sandbox's memory cgroup. */
export function oomKills(dirs: readonly string[]): number {
  for (const dir of dirs) {
    for (const file of ['memory.events', 'memory.oom_control']) {
      try {
        const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, file), 'utf8'));
        if (match) return Number(match[1]);
      } catch {}
    }
  }
  return 0;
}
