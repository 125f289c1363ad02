import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CgroupLayout, CONTROLLERS } from './cgroup-detect.ts';
import { cgroupV1Settings, cgroupV2Settings, type SandboxLimits } from './resource-limits.ts';

/** The cgroup directories of one sandbox: one on v2, one per controller on v1. */
export function sandboxCgroupDirs(layout: CgroupLayout, key: string): string[] {
  if (layout.mechanism === 'cgroup-v2') return [join(layout.base, key)];
  return [...new Set(CONTROLLERS.map((c) => join(layout.bases[c], key)))];
}

/** Creates the sandbox's cgroups and writes its limits; returns their directories. */
export function createSandboxCgroups(
  layout: CgroupLayout,
  key: string,
  limits: SandboxLimits,
): string[] {
  const dirs = sandboxCgroupDirs(layout, key);
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  if (layout.mechanism === 'cgroup-v2') {
    const [dir] = dirs as [string];
    const hasSwap = existsSync(join(dir, 'memory.swap.max'));
    for (const s of cgroupV2Settings(limits, hasSwap)) writeFileSync(join(dir, s.file), s.value);
    return dirs;
  }
  const memoryDir = join(layout.bases.memory, key);
  const hasMemsw = existsSync(join(memoryDir, 'memory.memsw.limit_in_bytes'));
  // Lowering a limit below the current memory+swap limit needs the memory+swap one first.
  for (const s of cgroupV1Settings(limits, hasMemsw)) {
    const path = join(layout.bases[s.controller], key, s.file);
    try {
      writeFileSync(path, s.value);
    } catch (error) {
      if (s.file !== 'memory.limit_in_bytes' || !hasMemsw) throw error;
      writeFileSync(join(memoryDir, 'memory.memsw.limit_in_bytes'), s.value);
      writeFileSync(path, s.value);
    }
  }
  return dirs;
}

/** The `cgroup.procs` files a process writes its pid into to join the sandbox's cgroups. */
export function procsFiles(dirs: readonly string[]): string[] {
  return dirs.map((d) => join(d, 'cgroup.procs'));
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills every process in the sandbox's cgroups (cgroup.kill on v2, one by one on v1). */
export async function killCgroups(dirs: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
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
    if (remaining === 0) return;
    await sleep(20);
  }
}

/** Kills what is left in the sandbox's cgroups and removes them. */
export async function removeCgroups(dirs: readonly string[]): Promise<void> {
  await killCgroups(dirs);
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50 && existsSync(dir); attempt += 1) {
      try {
        rmdirSync(dir);
      } catch {
        await sleep(20);
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
