/**
 * The bookkeeping of background processes a gVisor checkpoint image holds (`gvisor-checkpoint.ts`):
 * `held.json` beside a process's records, with its in-sandbox pid and what is left of its
 * timeout. A held process's timeout counts only the time it runs: the time it spends in an
 * image (a pause to disk, a snapshot waiting to be restored) is not counted, so a process given
 * ten minutes runs ten minutes whatever the pauses in between. The supervisor that follows it
 * after the restore gets what is left (its `launch.nul` rewritten), counted from the restore
 * (`timer.json`).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BackgroundMeta } from './background-files.ts';
import { HELD_FILE, readInternalPid } from './gvisor.ts';
import type { SandboxDirs } from './sandbox-state.ts';

const Held = z.strictObject({
  pid: z.int().positive(),
  /** What is left of its timeout when the image took it (none: it has no timeout). */
  timeoutLeftMs: z.int().nonnegative().optional(),
});
export type Held = z.infer<typeof Held>;

/**
 * Beside a process restored into another sandbox (a fork): the container whose kernel started
 * it. gVisor keeps that id in the process, and `runsc wait` refuses a process of another
 * container, so such a process is followed by polling (`gvisor-checkpoint.ts`).
 */
const ORIGIN_FILE = 'origin.json';
const Origin = z.strictObject({ container: z.string() });

/** The container whose kernel started the process, when it is not the sandbox's own. */
export function readOrigin(dir: string): string | undefined {
  try {
    return Origin.parse(JSON.parse(readFileSync(join(dir, ORIGIN_FILE), 'utf8'))).container;
  } catch {
    return undefined;
  }
}

/** Records where a copied process comes from, unless it came from further (a fork of a fork). */
export function writeOrigin(dir: string, container: string): void {
  if (existsSync(join(dir, ORIGIN_FILE))) return;
  writeFileSync(join(dir, ORIGIN_FILE), JSON.stringify({ container }), { mode: 0o600 });
}

/** The in-sandbox pid of the poller following a restored process of another container. */
export const FOLLOWER_PID_FILE = 'follow.pid';
/** The pids of the pollers it replaced (one a checkpoint took along ends once replaced). */
export const FORMER_FOLLOWERS_FILE = 'followers';

/** When the supervisor following a process began counting its timeout (after a restore). */
const TIMER_FILE = 'timer.json';
const Timer = z.strictObject({ since: z.iso.datetime() });

export function readHeld(dir: string): Held | undefined {
  try {
    return Held.parse(JSON.parse(readFileSync(join(dir, HELD_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

export function readMeta(dir: string): BackgroundMeta | undefined {
  try {
    return BackgroundMeta.parse(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

/** The timeout `launch.nul` gives the supervisor (its first field), in ms; none when empty. */
function launchTimeoutMs(dir: string): number | undefined {
  try {
    const text = readFileSync(join(dir, 'launch.nul'), 'utf8');
    const ms = Number(text.slice(0, text.indexOf('\0')));
    return text.startsWith('\0') || !Number.isInteger(ms) || ms <= 0 ? undefined : ms;
  } catch {
    return undefined;
  }
}

/** What is left of the process's timeout at `now`: its budget less the time it ran since the count began. */
function timeoutLeftMs(dir: string, now: number): number | undefined {
  const timeoutMs = launchTimeoutMs(dir);
  if (timeoutMs === undefined) return undefined;
  let since = readMeta(dir)?.startedAt;
  try {
    since = Timer.parse(JSON.parse(readFileSync(join(dir, TIMER_FILE), 'utf8'))).since;
  } catch {}
  const ran = since === undefined ? 0 : Math.max(0, now - Date.parse(since));
  return Math.max(0, timeoutMs - ran);
}

/** Marks held each background process that runs (its in-sandbox pid among `pids`); their ids. */
export function markHeld(dirs: SandboxDirs, pids: ReadonlySet<number>): string[] {
  if (!existsSync(dirs.procs)) return [];
  const held: string[] = [];
  const now = Date.now();
  for (const processId of readdirSync(dirs.procs)) {
    const dir = join(dirs.procs, processId);
    if (existsSync(join(dir, 'exit.json'))) continue;
    const pid = readInternalPid(join(dir, 'launch.pid'));
    if (pid === undefined || !pids.has(pid)) continue;
    const left = timeoutLeftMs(dir, now);
    const record: Held = { pid, ...(left === undefined ? {} : { timeoutLeftMs: left }) };
    writeFileSync(join(dir, HELD_FILE), JSON.stringify(record), { mode: 0o600 });
    held.push(processId);
  }
  return held;
}

/**
 * Gives the supervisor about to follow a restored process what is left of its timeout (at least
 * 1 ms: a process whose time ran out at the image ends at once), counted from now.
 */
export function renewTimeout(dir: string, held: Held): void {
  if (held.timeoutLeftMs === undefined) return;
  const path = join(dir, 'launch.nul');
  const text = readFileSync(path, 'utf8');
  const rest = text.slice(text.indexOf('\0'));
  writeFileSync(path, `${Math.max(1, held.timeoutLeftMs)}${rest}`, { mode: 0o600 });
  writeFileSync(join(dir, TIMER_FILE), JSON.stringify({ since: new Date().toISOString() }), {
    mode: 0o600,
  });
}

/** Forgets that the process is held (its image is gone, or it is followed again). */
export function unmarkHeld(dir: string): void {
  rmSync(join(dir, HELD_FILE), { force: true });
}

function formerFollowers(dir: string): number[] {
  try {
    const lines = readFileSync(join(dir, FORMER_FOLLOWERS_FILE), 'utf8').split('\n');
    return lines.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

/**
 * Processes of the sandbox an exec started that outlived it (`cmd &` in an exec): every process
 * but init (pid 1) and zombies whose process group is not a background process's (each leads its own, with
 * the pid its `launch.pid` records, as the poller following a restored one does). Such a process may hold the exec's stdio, pipes of the host
 * that runsc can neither save nor restore. `stats` are `/proc/<pid>/stat` lines as the sandbox
 * has them; `self` is the pid that read them (its group is left out). Pids with their commands.
 */
export function execBorn(
  dirs: SandboxDirs,
  stats: string,
  self: number,
): Array<{ pid: number; command: string }> {
  const groups = new Set<number>([1, self]);
  if (existsSync(dirs.procs)) {
    for (const processId of readdirSync(dirs.procs)) {
      for (const file of ['launch.pid', FOLLOWER_PID_FILE]) {
        const pid = readInternalPid(join(dirs.procs, processId, file));
        if (pid !== undefined) groups.add(pid);
      }
      for (const pid of formerFollowers(join(dirs.procs, processId))) groups.add(pid);
    }
  }
  const found: Array<{ pid: number; command: string }> = [];
  for (const line of stats.split('\n')) {
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split at the last ')'.
    const match = /^(\d+) \((.*)\) (\S+) \d+ (\d+) /.exec(line);
    if (match === null) continue;
    const pid = Number(match[1]);
    // A zombie (init never reaps) holds nothing.
    if (pid === 1 || match[3] === 'Z' || groups.has(Number(match[4]))) continue;
    found.push({ pid, command: match[2] ?? '' });
  }
  return found;
}
