/**
 * Pausing a gVisor sandbox to disk: `runsc checkpoint` saves its kernel, memory and processes to
 * an image under the sandbox directory and ends it; `runsc restore` starts it again from there,
 * its processes where they were with the pids they had. The image outlives Paddock and the host,
 * so a sandbox paused this way resumes with its processes after either restarts.
 *
 * Paddock follows a background process through the host-side `runsc exec` that started it, which
 * ends at the checkpoint. So the processes running at that moment are marked held (`held.json`
 * beside their records, with their in-sandbox pid): they read as running while the image holds
 * them, the end their supervisors recorded at the checkpoint is dropped, and after the restore a
 * new supervisor follows each through `runsc wait --pid`. Their output goes on: under gVisor a
 * background process writes it into its record's directory from inside the sandbox
 * (`PROCS_DIR`), not through descriptors of the host's, which a restored sandbox no longer has.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import { HOST_ENV } from './exec.ts';
import {
  containerId,
  gvisorPaths,
  HELD_FILE,
  PROCS_DIR,
  readInternalPid,
  runscCheckpoint,
  runscDelete,
  runscPs,
  runscRestore,
} from './gvisor.ts';
import {
  dropCheckpointEnd,
  followHeld,
  SUPERVISOR_END_MS,
  type Supervise,
} from './gvisor-follow.ts';
import { execBorn, markHeld, readMeta as readMetaIn, unmarkHeld } from './gvisor-held.ts';
import { startInCgroups } from './gvisor-sandbox.ts';

export { HELD_FILE };

import { isAlive } from './process-identity.ts';
import { type SandboxDirs, type SandboxState, writeState } from './sandbox-state.ts';

const run = promisify(execFile);

/** How long a checkpoint or restore may take: the image is as large as the sandbox's memory. */
const IMAGE_TIMEOUT_MS = 300_000;

/** What a restore needs from the runtime besides the sandbox's own state. */
export type RestoreHooks = {
  /** Readies the host side of the sandbox as a start would (cgroups, mounts a host restart took). */
  prepare: () => Promise<void>;
  /** Starts the detached supervisor of a restored process, running `chain`. */
  supervise: Supervise;
};

/**
 * Whether a gVisor sandbox can be checkpointed: not on the host's network (runsc cannot save
 * host sockets), and started with its background output inside (`PROCS_DIR` in its bundle).
 */
export function canCheckpoint(dirs: SandboxDirs, state: SandboxState): boolean {
  return (
    state.spec.network?.egress !== 'open' &&
    existsSync(join(gvisorPaths(dirs.dir).rootfs, PROCS_DIR))
  );
}

/** Whether the sandbox's checkpoint image is on disk. */
export function hasImage(dirs: SandboxDirs): boolean {
  return existsSync(join(gvisorPaths(dirs.dir).image, 'checkpoint.img'));
}

async function runsc(argv: readonly string[], timeoutMs = 30_000): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  const { stdout } = await run(file, args, { env: HOST_ENV, timeout: timeoutMs });
  return stdout;
}

/** What a checkpoint made: the held processes' ids, or why there is no image. */
export type CheckpointResult = { held: string[] } | { reason: string };

/**
 * Pauses the sandbox (`runsc pause`, so no process ends between the count and the image), marks
 * its running background processes held, and checkpoints it to its own image. The sandbox is
 * left paused by `runsc pause` instead, with the reason, when an exec or terminal runs, a
 * process an exec started outlived it (it may hold the exec's pipes), or runsc could not write
 * the image.
 */
export async function checkpointGvisor(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
): Promise<CheckpointResult> {
  const id = containerId(state.namespace, state.name);
  const { image } = gvisorPaths(dirs.dir);
  await untilStarted(dirs, Date.now() + SUPERVISOR_END_MS);
  const stats = await readStats(runscPath, dirs, id);
  await runsc([runscPath, `--root=${gvisorPaths(dirs.dir).state}`, 'pause', id]);
  let held: string[] = [];
  try {
    const pids = new Set(
      z.array(z.int()).parse(JSON.parse(await runsc(runscPs(runscPath, dirs.dir, id)))),
    );
    // `runsc ps` lists only the processes this container's kernel started: those restored from
    // another sandbox's snapshot are seen in the kernel's /proc (read just before the pause).
    for (const pid of statPids(stats.text)) if (pid !== stats.self) pids.add(pid);
    // An exec's process reads and writes the caller's pipes, which runsc cannot restore.
    if (hasExecRunning(dirs, pids)) {
      return { reason: 'an exec or terminal runs in it (runsc cannot save its pipes)' };
    }
    const born = execBorn(dirs, stats.text, stats.self).filter((p) => pids.has(p.pid));
    if (born.length > 0) {
      const names = born.map((p) => `${p.pid} (${p.command})`).join(', ');
      return {
        reason: `process ${names} was started by an exec and outlived it: it may hold the exec's output, a pipe of the host's that runsc cannot restore (start such processes as background processes)`,
      };
    }
    held = markHeld(dirs, pids);
    rmSync(image, { recursive: true, force: true });
    mkdirSync(image, { recursive: true, mode: 0o700 });
    await runsc(runscCheckpoint(runscPath, dirs.dir, id), IMAGE_TIMEOUT_MS);
  } catch (error) {
    for (const processId of held) unmarkHeld(join(dirs.procs, processId));
    rmSync(image, { recursive: true, force: true });
    const words = error instanceof Error ? error.message.split('\n').slice(-2).join(' ') : '';
    return { reason: `runsc could not write the image: ${words}`.trim() };
  }
  // A sandbox paused before its checkpoint is still there, paused: it goes now. That ends each
  // held process's `runsc exec`, which its supervisor takes for the process's end: once the
  // supervisor is gone, that record goes too.
  await runsc(runscDelete(runscPath, dirs.dir, id)).catch(() => '');
  const deadline = Date.now() + SUPERVISOR_END_MS;
  for (const processId of held) await dropCheckpointEnd(dirs, processId, deadline);
  return { held };
}

/** The pids of `/proc/<pid>/stat` lines. */
function statPids(text: string): number[] {
  return [...text.matchAll(/^(\d+) \(/gm)].map((match) => Number(match[1]));
}

/**
 * `/proc/<pid>/stat` of every process of the running sandbox, read by a `runsc exec` of its
 * own (`self`: its pid, whose group is left out).
 */
async function readStats(
  runscPath: string,
  dirs: SandboxDirs,
  id: string,
): Promise<{ text: string; self: number }> {
  const root = `--root=${gvisorPaths(dirs.dir).state}`;
  const user = `--user=${SANDBOX_UID}:${SANDBOX_GID}`;
  const script = 'echo "$$"; cat /proc/[0-9]*/stat 2>/dev/null; true';
  const out = await runsc([runscPath, root, 'exec', user, '--cwd=/', id, '/bin/sh', '-c', script]);
  const [first = '', ...rest] = out.split('\n');
  return { self: Number(first), text: rest.join('\n') };
}

/**
 * Waits (up to `deadline`) until each background process just handed to its supervisor runs in
 * the sandbox (its `runsc exec` wrote its in-sandbox pid), so the count before the image has it.
 */
async function untilStarted(dirs: SandboxDirs, deadline: number): Promise<void> {
  if (!existsSync(dirs.procs)) return;
  for (const processId of readdirSync(dirs.procs)) {
    const dir = join(dirs.procs, processId);
    const supervisor = readMeta(dirs, processId)?.supervisor;
    const isStarting = () =>
      supervisor !== undefined &&
      isAlive(supervisor) &&
      !existsSync(join(dir, 'exit.json')) &&
      readInternalPid(join(dir, 'launch.pid')) === undefined;
    while (isStarting() && Date.now() < deadline) await sleep(5);
  }
}

/**
 * Whether an exec or terminal (not a background process) runs or starts: its process file in
 * `run/`, with no in-sandbox pid yet or one that runs.
 */
function hasExecRunning(dirs: SandboxDirs, pids: ReadonlySet<number>): boolean {
  if (!existsSync(dirs.run)) return false;
  return readdirSync(dirs.run).some((name) => {
    if (!name.endsWith('.process.json')) return false;
    const pid = readInternalPid(join(dirs.run, name.replace(/\.process\.json$/, '.pid')));
    return pid === undefined || pids.has(pid);
  });
}

/**
 * Starts the sandbox again from its image (its incarnation gets the new sandbox process, its
 * start time stays), removes the image, then follows each held process with a new supervisor.
 * Retried after a crash part way, it follows the processes still held without restoring twice.
 * `runtime_unavailable` when runsc cannot restore it; the image and the pause stay.
 */
export async function restoreGvisor(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  held: readonly string[],
  hooks: RestoreHooks,
): Promise<void> {
  const id = containerId(state.namespace, state.name);
  if (hasImage(dirs)) {
    await hooks.prepare();
    await runsc(runscDelete(runscPath, dirs.dir, id)).catch(() => '');
    const argv = runscRestore(runscPath, dirs.dir, id, 'none');
    const incarnation = await startInCgroups(dirs, state, runscPath, argv, 'restore').catch(
      (error: unknown) => {
        throw explainRestore(dirs, state, error);
      },
    );
    state.incarnation = {
      ...incarnation,
      startedAt: state.incarnation?.startedAt ?? incarnation.startedAt,
    };
    await writeState(dirs, state);
    rmSync(gvisorPaths(dirs.dir).image, { recursive: true, force: true });
  }
  await followHeld(dirs, state, runscPath, held, hooks.supervise);
}

/**
 * runsc's words on a failed restore end in a Go stack; where the image holds a descriptor of the
 * host's (the output of an exec that ended, still open), say that instead.
 */
function explainRestore(dirs: SandboxDirs, state: SandboxState, error: unknown): unknown {
  let log = '';
  try {
    log = readFileSync(join(dirs.logs, 'runsc.log'), 'utf8');
  } catch {}
  if (!/HostConnectedEndpoint|hostfd:/.test(log)) return error;
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `sandbox ${state.namespace}/${state.name} cannot be restored from its checkpoint: a process in it holds a descriptor of the host's (the output of an exec that ended, still open), which runsc cannot restore; stop the sandbox to start it afresh`,
  );
}

/**
 * Forgets a checkpoint (the sandbox stops instead of resuming): its held processes are recorded
 * as killed, and the image is removed.
 */
export async function discardCheckpoint(dirs: SandboxDirs, held: readonly string[]): Promise<void> {
  const deadline = Date.now() + SUPERVISOR_END_MS;
  for (const processId of held) {
    const dir = join(dirs.procs, processId);
    if (!existsSync(join(dir, HELD_FILE))) continue;
    await dropCheckpointEnd(dirs, processId, deadline);
    const finishedAt = new Date().toISOString();
    const exit = { exitCode: null, signal: 'SIGKILL', timedOut: false, finishedAt };
    writeFileSync(join(dir, 'exit.json'), JSON.stringify(exit), { mode: 0o600 });
    unmarkHeld(dir);
  }
  rmSync(gvisorPaths(dirs.dir).image, { recursive: true, force: true });
}

function readMeta(dirs: SandboxDirs, processId: string) {
  return readMetaIn(join(dirs.procs, processId));
}
