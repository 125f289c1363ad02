/**
 * Helpers for this package's tests: a runtime on a temp root, unique sandbox refs, commands run
 * to completion, and a cleanup that destroys every sandbox the runtime holds. Not exported.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxEnvironment, SandboxRef } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import {
  createLocalRuntime,
  type LocalRuntime,
  type LocalRuntimeOptions,
} from './local-runtime.ts';
import { rootlessProblem } from './rootless.ts';

const bwrap = findExecutable('bwrap');

/** Why the real-sandbox tests cannot run here, or undefined when they can. */
export const skipReason: string | undefined =
  bwrap === undefined
    ? 'bubblewrap (bwrap) is not installed'
    : process.getuid?.() !== 0
      ? 'these tests run the runtime as root (per-sandbox host uids, cgroups)'
      : undefined;

/**
 * Why tests that hold as root and rootless alike (the runtime contract) cannot run here: as
 * root, as `skipReason`; unprivileged, when bwrap cannot make user namespaces for this user.
 */
export const anyUserSkipReason: string | undefined =
  bwrap === undefined
    ? 'bubblewrap (bwrap) is not installed'
    : process.getuid?.() === 0
      ? undefined
      : rootlessProblem(bwrap);

/** Why rootless-only tests cannot run in this process (as root, they run through a child). */
export const rootlessSkipReason: string | undefined =
  process.getuid?.() === 0
    ? 'runs as an unprivileged user: runtime-contract-rootless.test.ts starts it as one'
    : anyUserSkipReason;

/** Grows a string to 256 MiB by doubling: bounded, so a missing limit cannot hurt the host. */
export const MEMORY_HOG = `awk 'BEGIN { s = "x"; for (i = 0; i < 28; i++) s = s s; print length(s) }'`;
/** Starts 200 sleeping processes at once: bounded, unlike a real fork bomb. */
export const FORK_FLOOD =
  'i=0; while [ $i -lt 200 ]; do sleep 1 & i=$((i + 1)); done; echo started; wait';

export type TestWorld = {
  /** The Paddock data dir (parent of the runtime root); holds a fake `paddock.db`. */
  dataDir: string;
  root: string;
  runtime: LocalRuntime;
  /** A fresh runtime instance on the same root, as after a restart of Paddock. */
  reopen(options?: Partial<LocalRuntimeOptions>): LocalRuntime;
  ref(name?: string): SandboxRef;
  provision(spec?: SandboxEnvironment, name?: string): Promise<SandboxRef>;
  cleanup(): Promise<void>;
};

export function createTestWorld(options: Partial<LocalRuntimeOptions> = {}): TestWorld {
  const dataDir = mkdtempSync(join(tmpdir(), 'paddock-rt-'));
  const root = join(dataDir, 'sandboxes');
  const namespace = `t-${randomBytes(4).toString('hex')}`;
  const runtimes: LocalRuntime[] = [];
  // Host uids of their own: runtimes of test files running side by side (each with its own
  // root) would otherwise hand out the same uids, and a leftover check by uid would see the other's.
  const hostUidBase = 2_000_000_000 + randomInt(0, 100_000) * 1000;
  const open = (extra: Partial<LocalRuntimeOptions> = {}): LocalRuntime => {
    const runtime = createLocalRuntime({ root, hostUidBase, ...options, ...extra });
    runtimes.push(runtime);
    return runtime;
  };
  const runtime = open();
  let counter = 0;
  const world: TestWorld = {
    dataDir,
    root,
    runtime,
    reopen: open,
    ref: (name) => {
      counter += 1;
      return {
        namespace,
        name: name ?? `sb${counter}`,
        uid: `uid-${randomBytes(4).toString('hex')}`,
      };
    },
    provision: async (spec = {}, name) => {
      const ref = world.ref(name);
      await runtime.provision({ ...ref, spec });
      return ref;
    },
    cleanup: async () => {
      for (const ref of await runtime.list()) await runtime.destroy(ref);
      for (const r of runtimes) await r.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}

export {
  type Completed,
  collectText as readText,
  runToEnd as run,
  shell as sh,
} from '@paddock/testkit';

/** Host processes in a sandbox's cgroups, with their command lines. */
export function processesOf(ref: SandboxRef): Array<{ pid: number; command: string }> {
  const marker = `.${ref.namespace}.${ref.name}`;
  const found: Array<{ pid: number; command: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cgroups = readFileSync(`/proc/${name}/cgroup`, 'utf8');
      if (!cgroups.split('\n').some((line) => line.includes('/paddock/') && line.endsWith(marker)))
        continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .join(' ');
      found.push({ pid: Number(name), command });
    } catch {}
  }
  return found;
}
