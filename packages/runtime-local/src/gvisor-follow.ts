/**
 * Following the background processes a gVisor checkpoint image held, once it is restored: the
 * supervisor that followed a process through its `runsc exec` saw it end at the checkpoint
 * (that end is dropped), so each gets a new supervisor whose chain ends with the process: `runsc
 * wait --pid` in the sandbox that started it, a poller inside in a sandbox restored from another
 * one's snapshot (`runsc wait` refuses a process another container's kernel started).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackgroundMeta } from './background-files.ts';
import { SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import { containerId, gvisorPaths, runscWait } from './gvisor.ts';
import {
  FOLLOWER_PID_FILE,
  FORMER_FOLLOWERS_FILE,
  readHeld,
  readMeta,
  readOrigin,
  renewTimeout,
  unmarkHeld,
} from './gvisor-held.ts';
import type { Argv } from './host-commands.ts';
import { isAlive, type ProcessIdentity } from './process-identity.ts';
import type { SandboxDirs, SandboxState } from './sandbox-state.ts';

/** How long the supervisor of a process the checkpoint ended may take to record that end. */
export const SUPERVISOR_END_MS = 10_000;

/** Starts the detached supervisor of a restored process, running `chain`. */
export type Supervise = (processDir: string, chain: Argv) => Promise<ProcessIdentity>;

/**
 * Waits (up to `deadline`) for the supervisor that saw a held process's `runsc exec` end at the
 * checkpoint, then removes the end it recorded: the process did not end.
 */
export async function dropCheckpointEnd(dirs: SandboxDirs, processId: string, deadline: number) {
  const supervisor = readMeta(join(dirs.procs, processId))?.supervisor;
  while (supervisor !== undefined && isAlive(supervisor) && Date.now() < deadline) await sleep(5);
  rmSync(join(dirs.procs, processId, 'exit.json'), { force: true });
}

/** Follows each process still held (`held`) with a new supervisor, after a restore. */
export async function followHeld(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  held: readonly string[],
  supervise: Supervise,
): Promise<void> {
  const id = containerId(state.namespace, state.name);
  for (const processId of held) await follow(dirs, runscPath, id, processId, supervise);
}

/** A new supervisor for a restored process: `runsc wait --pid` ends with it and says how. */
async function follow(
  dirs: SandboxDirs,
  runscPath: string,
  id: string,
  processId: string,
  supervise: Supervise,
): Promise<void> {
  const dir = join(dirs.procs, processId);
  const held = readHeld(dir);
  const meta = readMeta(dir);
  if (held === undefined || meta === undefined) return;
  // Long gone unless the checkpoint's wait for it ran out.
  await dropCheckpointEnd(dirs, processId, Date.now() + SUPERVISOR_END_MS);
  renewTimeout(dir, held);
  const origin = readOrigin(dir);
  const chain =
    origin === undefined || origin === id
      ? waitChain(runscPath, dirs, id, held.pid)
      : pollChain(runscPath, dirs, id, held.pid, dir);
  const supervisor = await supervise(dir, chain);
  const next: BackgroundMeta = { ...meta, supervisor };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(next), { mode: 0o600 });
  unmarkHeld(dir);
}

/**
 * `runsc wait --pid`: ends with the process and exits with its status, as `runsc exec` would
 * have. A process that ended before its wait began is gone with its status.
 */
function waitChain(runscPath: string, dirs: SandboxDirs, id: string, pid: number): Argv {
  // `runsc wait` prints {"id":…,"exitStatus":N}.
  const script = [
    'out=$("$@" 2>&1) || { echo "paddock: the process ended while its sandbox was restored; its exit status is lost" >&2; exit 255; }',
    `exit "$(printf '%s' "$out" | sed -n 's/.*"exitStatus":\\([0-9]*\\).*/\\1/p')"`,
  ].join('; ');
  return {
    file: '/bin/bash',
    args: ['--norc', '-c', script, 'paddock-wait', ...runscWait(runscPath, dirs.dir, id, pid)],
  };
}

/**
 * Follows a process another container's kernel started (restored from a snapshot into this
 * sandbox), which `runsc wait` refuses: a poller inside the sandbox (its stdio its own, its pid
 * in `follow.pid`) ends when the process has. Its exit status is not known: a signal Paddock
 * sent reads as that signal (exit 128 + n, `signals`), any other end as exit code 255.
 */
function pollChain(
  runscPath: string,
  dirs: SandboxDirs,
  id: string,
  pid: number,
  dir: string,
): Argv {
  // The follower a checkpoint image took along (its pid, the last follow.pid) is ended first:
  // files the host writes are not seen inside (gVisor caches them), so it is told by signal.
  const poll = [
    'exec </dev/null >/dev/null 2>&1',
    'if [ -n "$2" ] && grep -qa paddock-follow "/proc/$2/cmdline" 2>/dev/null; then kill "$2"; fi',
    'while s=$(cat "/proc/$1/stat") && case "$s" in *") Z "*) false;; esac; do sleep 0.2; done',
  ].join('; ');
  const exec = [
    runscPath,
    `--root=${gvisorPaths(dirs.dir).state}`,
    'exec',
    `--user=${SANDBOX_UID}:${SANDBOX_GID}`,
    '--cwd=/',
    `--internal-pid-file=${join(dir, FOLLOWER_PID_FILE)}`,
    id,
    '/bin/sh',
    '-c',
    poll,
    'paddock-follow',
    String(pid),
  ];
  // runsc exec hands its stdio to the sandbox's user: pipes of its own, never the supervisor's.
  const script = [
    // The one it replaces is noted (`followers`) until it has ended: a checkpoint may come first.
    `dir=$1; shift; old=$(cat -- "$dir/${FOLLOWER_PID_FILE}" 2>/dev/null); [ -z "$old" ] || echo "$old" >> "$dir/${FORMER_FOLLOWERS_FILE}"; : | "$@" "$old" 2>&1 | cat >/dev/null`,
    'sig=$(tail -n 1 -- "$dir/signals" 2>/dev/null)',
    'if [ -n "$sig" ] && n=$(kill -l "$(echo "$sig" | sed s/^SIG//)" 2>/dev/null); then exit $((128 + n)); fi',
    'echo "paddock: the process was restored from a snapshot of another sandbox; its exit status is not known" >&2; exit 255',
  ].join('; ');
  return { file: '/bin/bash', args: ['--norc', '-c', script, 'paddock-follow', dir, ...exec] };
}
