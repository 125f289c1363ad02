/**
 * Pausing a local sandbox: every process frozen in place, memory kept, no CPU used. The first
 * mechanism this host offers wins:
 * - gVisor: `runsc checkpoint` to an image on disk (`gvisor-checkpoint.ts`), which survives a
 *   restart of Paddock or of the host; `runsc pause` (the sentry stops its tasks) where it cannot;
 * - cgroup v2: the sandbox's own cgroup's `cgroup.freeze`;
 * - cgroup v1: a cgroup of its own in the `freezer` hierarchy (as root), `freezer.state` FROZEN;
 * - otherwise (rootless without a delegated freezer): SIGSTOP to each process of the sandbox's
 *   pid namespace, SIGCONT to resume. A process that handles SIGCONT (or waits on a child) sees
 *   it; the cgroup freezers are invisible to the sandbox.
 * The record `paused.json` in the sandbox's directory says the sandbox is paused and how, for
 * `observe`, a restarted runtime, and `thaw` before a stop (v1 freezes even SIGKILL).
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ErrorCode, PaddockError, PauseMechanism } from '@paddock/core';
import { z } from 'zod';
import { cgroupDir, parseProcCgroup } from './cgroup-detect.ts';
import { HOST_ENV } from './exec.ts';
import { containerId, gvisorPaths } from './gvisor.ts';
import {
  canCheckpoint,
  checkpointGvisor,
  discardCheckpoint,
  hasImage,
  type RestoreHooks,
  restoreGvisor,
} from './gvisor-checkpoint.ts';
import type { SandboxDirs, SandboxState } from './sandbox-state.ts';

const run = promisify(execFile);
const FREEZE_TIMEOUT_MS = 5_000;
const POLL_MS = 1;

const PauseRecord = z.strictObject({
  mechanism: z.enum([
    PauseMechanism.CgroupV2,
    PauseMechanism.CgroupV1,
    PauseMechanism.Signals,
    PauseMechanism.Gvisor,
    PauseMechanism.Checkpoint,
  ]),
  /** The freezer cgroup (v1: made for the pause; v2: the sandbox's own). */
  cgroup: z.string().optional(),
  /** The background processes a checkpoint image holds (their ids). */
  held: z.array(z.string()).optional(),
  /** Why a gVisor sandbox is paused in memory (`runsc pause`), not to disk. */
  notOnDisk: z.string().optional(),
  pausedAt: z.string(),
});
export type PauseRecord = z.infer<typeof PauseRecord>;

/** What a freeze needs to know of the sandbox besides its state. */
export type FreezeTarget = {
  dirs: SandboxDirs;
  state: SandboxState;
  /** The sandbox's cgroup directory name (`<tag>.<namespace>.<name>`). */
  cgroupKey: string;
  /** runsc, for a gVisor sandbox. */
  runsc: string | undefined;
  /** What restoring a checkpointed gVisor sandbox needs of the runtime. */
  restore?: RestoreHooks;
};

const recordPath = (dirs: SandboxDirs) => join(dirs.dir, 'paused.json');

/** The pause record of a paused sandbox; undefined when it is not paused. */
export function readPause(dirs: SandboxDirs): PauseRecord | undefined {
  const path = recordPath(dirs);
  // Most sandboxes are not paused: a missing file is a stat, not a thrown error (5 times it).
  if (!existsSync(path)) return undefined;
  try {
    return PauseRecord.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Whether the sandbox is paused to disk (a checkpoint image holds it, no process of it runs):
 * paused although its init is gone, after a restart of Paddock or of the host too. `pause`:
 * its pause record when the caller has read it.
 */
export function isHeldOnDisk(dirs: SandboxDirs, pause = readPause(dirs)): boolean {
  return pause?.mechanism === PauseMechanism.Checkpoint && hasImage(dirs);
}

/** The error every call that needs a running sandbox gets while it is paused. */
export function pausedError(namespace: string, name: string): PaddockError {
  return new PaddockError(
    ErrorCode.SandboxPaused,
    `sandbox ${namespace}/${name} is paused; resume it first`,
    { phase: 'Paused' },
  );
}

/** Freezes every process of a running sandbox; idempotent (a paused one answers its record). */
export async function freezeSandbox(target: FreezeTarget): Promise<PauseRecord> {
  const existing = readPause(target.dirs);
  if (existing !== undefined) return existing;
  const pausedAt = new Date().toISOString();
  const record: PauseRecord = await freezeBy(target, pausedAt);
  writeFileSync(recordPath(target.dirs), JSON.stringify(record));
  return record;
}

/**
 * Thaws a paused sandbox and forgets the pause (a no-op when it is not paused). The v1 freezer
 * cgroup is removed once empty (after a stop); while processes live in it, it stays, thawed.
 * A checkpointed sandbox is restored from its image, or, `isEnding` (it is stopped next), its
 * image is removed instead.
 */
export async function thawSandbox(
  target: FreezeTarget,
  options: { isEnding?: boolean } = {},
): Promise<void> {
  const record = readPause(target.dirs);
  if (record === undefined) return;
  switch (record.mechanism) {
    case PauseMechanism.Checkpoint:
      if (options.isEnding || target.runsc === undefined || target.restore === undefined) {
        await discardCheckpoint(target.dirs, record.held ?? []);
      } else {
        await restoreGvisor(
          target.dirs,
          target.state,
          target.runsc,
          record.held ?? [],
          target.restore,
        );
      }
      break;
    case PauseMechanism.Gvisor:
      await runsc(target, 'resume').catch(() => {});
      break;
    case PauseMechanism.CgroupV2:
      if (record.cgroup) writeQuietly(join(record.cgroup, 'cgroup.freeze'), '0');
      break;
    case PauseMechanism.CgroupV1:
      if (record.cgroup) writeQuietly(join(record.cgroup, 'freezer.state'), 'THAWED');
      break;
    case PauseMechanism.Signals:
      for (const pid of namespacePids(target.state)) signal(pid, 'SIGCONT');
      break;
    default: {
      const unknown: never = record.mechanism;
      throw new Error(`unknown pause mechanism ${String(unknown)}`);
    }
  }
  rmSync(recordPath(target.dirs), { force: true });
}

/** Removes the v1 freezer cgroup of a stopped sandbox (its processes are gone). */
export function removeFreezerCgroup(cgroupKey: string): void {
  const base = v1FreezerBase();
  if (base === undefined) return;
  try {
    rmdirSync(join(base, cgroupKey));
  } catch {}
}

async function freezeBy(target: FreezeTarget, pausedAt: string): Promise<PauseRecord> {
  const { state } = target;
  if (state.spec.isolation === 'gvisor' && target.runsc !== undefined) {
    if (!canCheckpoint(target.dirs, state)) {
      await runsc(target, 'pause');
      const notOnDisk =
        state.spec.network?.egress === 'open'
          ? "it is on the host's network (runsc cannot save host sockets)"
          : 'it was started by an older Paddock (its background output is on the host)';
      return { mechanism: PauseMechanism.Gvisor, notOnDisk, pausedAt };
    }
    // Paused by `runsc pause` when it cannot go to disk (the reason is kept).
    const result = await checkpointGvisor(target.dirs, state, target.runsc);
    return 'held' in result
      ? { mechanism: PauseMechanism.Checkpoint, held: result.held, pausedAt }
      : { mechanism: PauseMechanism.Gvisor, notOnDisk: result.reason, pausedAt };
  }
  const [v2] = state.limits.mechanism === 'cgroup-v2' ? state.limits.cgroups : [];
  if (v2 !== undefined && existsSync(join(v2, 'cgroup.freeze'))) {
    await freezeV2(v2);
    return { mechanism: PauseMechanism.CgroupV2, cgroup: v2, pausedAt };
  }
  const v1 = v1FreezerDir(target.cgroupKey);
  if (v1 !== undefined) {
    await freezeV1(v1, () => sandboxPids(state));
    return { mechanism: PauseMechanism.CgroupV1, cgroup: v1, pausedAt };
  }
  stopAll(state);
  return { mechanism: PauseMechanism.Signals, pausedAt };
}

async function freezeV2(dir: string): Promise<void> {
  writeFileSync(join(dir, 'cgroup.freeze'), '1');
  await until(
    () => /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')),
    () => writeQuietly(join(dir, 'cgroup.freeze'), '0'),
  );
}

/**
 * Moves the sandbox's processes into `dir` and freezes it. A process forked by one not moved yet
 * lands outside: the loop moves stragglers until none is left (a task joining a frozen v1 cgroup
 * is frozen on arrival).
 */
async function freezeV1(dir: string, pids: () => number[]): Promise<void> {
  const procs = join(dir, 'cgroup.procs');
  const inside = () => new Set(readPids(procs));
  for (const pid of pids()) writeQuietly(procs, String(pid));
  writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (;;) {
    const members = inside();
    const stragglers = pids().filter((pid) => !members.has(pid));
    for (const pid of stragglers) writeQuietly(procs, String(pid));
    if (stragglers.length === 0) break;
    if (Date.now() > deadline) return failFreeze(() => thawV1(dir));
  }
  await until(
    () => readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN',
    () => thawV1(dir),
  );
}

function thawV1(dir: string): void {
  writeQuietly(join(dir, 'freezer.state'), 'THAWED');
}

/** SIGSTOP to every process of the sandbox's pid namespace, until a scan finds none running. */
function stopAll(state: SandboxState): void {
  const stopped = new Set<number>();
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (;;) {
    const fresh = namespacePids(state).filter((pid) => !stopped.has(pid));
    if (fresh.length === 0) return;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
    if (Date.now() > deadline) {
      for (const pid of stopped) signal(pid, 'SIGCONT');
      failFreeze(() => {});
    }
  }
}

async function until(isDone: () => boolean, undo: () => void): Promise<void> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  while (!isDone()) {
    if (Date.now() > deadline) failFreeze(undo);
    await sleep(POLL_MS);
  }
}

function failFreeze(undo: () => void): never {
  undo();
  throw new PaddockError(
    ErrorCode.Timeout,
    `the sandbox's processes did not freeze within ${FREEZE_TIMEOUT_MS / 1000}s`,
  );
}

/** Every process of the sandbox: its cgroups' members where it has cgroups, else its pid namespace. */
function sandboxPids(state: SandboxState): number[] {
  const [dir] = state.limits.cgroups;
  if (dir !== undefined) return readPids(join(dir, 'cgroup.procs'));
  return namespacePids(state);
}

/**
 * Host pids of every process whose pid namespace is the sandbox's (its init's, the anchor's);
 * none when it does not run.
 */
export function namespacePids(state: SandboxState): number[] {
  const anchor = state.incarnation?.anchor.pid;
  if (anchor === undefined) return [];
  let namespace: string;
  try {
    namespace = readlinkSync(`/proc/${anchor}/ns/pid`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === namespace) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** This host's v1 freezer directory for Paddock's sandboxes, when this process may make cgroups there. */
function v1FreezerBase(): string | undefined {
  try {
    const mount = freezerMount(readFileSync('/proc/self/mountinfo', 'utf8'));
    const proc = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')).find(
      (p) => p.version === 1 && p.controllers.includes('freezer'),
    );
    if (mount === undefined || proc === undefined) return undefined;
    const own = cgroupDir(mount, proc.path);
    return own === undefined ? undefined : join(own, 'paddock');
  } catch {
    return undefined;
  }
}

/** A v1 freezer cgroup for the sandbox, made on first use; undefined without a usable hierarchy. */
function v1FreezerDir(key: string): string | undefined {
  const base = v1FreezerBase();
  if (base === undefined) return undefined;
  const dir = join(base, key);
  try {
    mkdirSync(dir, { recursive: true });
    return existsSync(join(dir, 'freezer.state')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The cgroup v1 mount with the `freezer` controller (`parseCgroupMounts` keeps only Paddock's). */
function freezerMount(mountinfo: string) {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (fsType !== 'cgroup' || root === undefined || mountPoint === undefined) continue;
    if (superOptions.split(',').includes('freezer'))
      return { version: 1 as const, mountPoint, root, controllers: ['freezer'] };
  }
  return undefined;
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function writeQuietly(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {}
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}

async function runsc(target: FreezeTarget, verb: 'pause' | 'resume'): Promise<void> {
  const runscPath = target.runsc;
  if (runscPath === undefined) return;
  const id = containerId(target.state.namespace, target.state.name);
  const root = `--root=${gvisorPaths(target.dirs.dir).state}`;
  await run(runscPath, [root, verb, id], { env: HOST_ENV, timeout: 30_000 });
}
