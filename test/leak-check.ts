// The test runner's global set-up: every test file of the run gets one temporary directory of its
// own run (TMPDIR), so every sandbox, server and mount a test makes names it. After the run, any
// process still naming it (in its command line or environment) or a mount below it is a leak: it
// is reported, killed, and fails the run. So is a sandbox's process (bwrap, the host helper, a
// sandbox's anchor) started during the run, still alive, and descending from a process that names
// it: sandboxes are started with a minimal environment and staged paths, so they need not name
// the directory themselves; nor does a background process's output relay, known by the files and
// pipes it holds. Processes of another run on the same machine are left alone.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What still names `dir` on this machine: processes (pid and command) and mount points. */
export function leftoversOf(dir: string): {
  processes: Array<{ pid: number; command: string }>;
  mounts: string[];
} {
  const processes: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const command = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').trim();
    if (command.includes(dir) || read(`/proc/${pid}/environ`).includes(dir)) {
      processes.push({ pid, command });
    }
  }
  const mounts = read('/proc/self/mounts')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(dir));
  return { processes, mounts };
}

/** What a process of a sandbox, or of the host side that starts and enters one, runs. */
const SANDBOX_PROCESS =
  /^(\S*\/)?(bwrap|perl \S*host-helper\.pl|sleep infinity|paddock-(launcher|enter|launch|bind|relay))(\s|$)/;

/** The output relay of a background process (background-relay.pl). */
const RELAY = /^paddock-relay(\s|$)/;

/** The start of `pid` in clock ticks since boot, and whether it is a zombie (gone already). */
function startOf(pid: number): { ticks: number; isZombie: boolean } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === '') return undefined;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(rest[19]), isZombie: rest[0] === 'Z' || rest[0] === 'X' };
}

/** Now, in clock ticks since boot (as `startOf` counts; Linux counts 100 a second). */
export function ticksSinceBoot(): number {
  return Math.floor(Number(read('/proc/uptime').split(' ')[0]) * 100);
}

/** Whether `pid` or one of its ancestors names `dir` (in its command line or environment). */
function isUnder(pid: number, dir: string): boolean {
  for (let at = pid, hops = 0; at > 1 && hops < 64; hops++) {
    const command = read(`/proc/${at}/cmdline`);
    if (command.includes(dir) || read(`/proc/${at}/environ`).includes(dir)) return true;
    const parent = /^PPid:\s*(\d+)/m.exec(read(`/proc/${at}/status`))?.[1];
    at = Number(parent ?? 0);
  }
  return false;
}

/** What `pid`'s descriptors are open on: paths, `pipe:[inode]`, …; none once it is gone. */
function openFilesOf(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

/**
 * Whether `pid` holds a file below `dir` open: a sandbox whose starter is gone (its bwrap is
 * init's child, its paths staged) still holds its status file there, deleted or not.
 */
function holdsUnder(pid: number, dir: string): boolean {
  return openFilesOf(pid).some((file) => file.startsWith(`${dir}/`));
}

/**
 * Whether the output relay `pid` is this run's: it leaves its chain at its start (its parent is
 * init) and keeps none of its environment, so it is known by what it holds: the job's output
 * files below `dir`, or, before it is handed a job, a pipe that a process under `dir` holds too
 * (its chain, or the spare supervisor it waits with).
 */
function isRelayOf(pid: number, dir: string): boolean {
  if (holdsUnder(pid, dir)) return true;
  const held = openFilesOf(pid);
  // A pipe this process holds too came from outside the run (an inherited descriptor): no sign.
  const inherited = new Set(openFilesOf(process.pid));
  const pipes = new Set(held.filter((file) => file.startsWith('pipe:') && !inherited.has(file)));
  if (pipes.size === 0) return false;
  for (const entry of readdirSync('/proc')) {
    const other = Number(entry);
    if (!Number.isInteger(other) || other === pid || other === process.pid) continue;
    if (openFilesOf(other).some((file) => pipes.has(file)) && isUnder(other, dir)) return true;
  }
  return false;
}

/**
 * Sandbox processes (`SANDBOX_PROCESS`) that started at or after `sinceTicks`, still run, and
 * belong to this run: they or an ancestor name `dir` (a sandbox's bwrap binds paths below it;
 * its processes descend from that bwrap), they hold a file below it open (a sandbox whose
 * server is gone: its bwrap's status file), or, for an output relay, what it holds does
 * (`isRelayOf`). Another run's sandboxes, started meanwhile on the same machine, are not this
 * run's to report or kill.
 */
export function sandboxProcessesSince(
  sinceTicks: number,
  dir: string,
): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const start = startOf(pid);
    if (start === undefined || start.isZombie || start.ticks < sinceTicks) continue;
    const command = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').trim();
    if (!SANDBOX_PROCESS.test(command)) continue;
    if (isUnder(pid, dir) || holdsUnder(pid, dir) || (RELAY.test(command) && isRelayOf(pid, dir)))
      found.push({ pid, command });
  }
  return found;
}

/** A file's text; empty when it is gone meanwhile (a process that ended) or not ours to read. */
function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export async function globalSetup(): Promise<void> {
  process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'paddock-test-run-'));
  process.env.PADDOCK_TEST_RUN_STARTED = String(ticksSinceBoot());
}

export async function globalTeardown(): Promise<void> {
  const dir = process.env.TMPDIR ?? '';
  if (!dir.includes('paddock-test-run-')) return;
  // Sandboxes a test destroyed may take a moment to be reaped.
  const since = Number(process.env.PADDOCK_TEST_RUN_STARTED ?? Number.POSITIVE_INFINITY);
  const leftovers = () => {
    const named = leftoversOf(dir);
    const pids = new Set(named.processes.map((p) => p.pid));
    const started = sandboxProcessesSince(since, dir).filter((p) => !pids.has(p.pid));
    return { processes: [...named.processes, ...started], mounts: named.mounts };
  };
  let found = leftovers();
  for (let i = 0; i < 50 && (found.processes.length > 0 || found.mounts.length > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = leftovers();
  }
  if (found.processes.length > 0 || found.mounts.length > 0) {
    process.stderr.write(
      `\nleak check: ${found.processes.length} process(es) and ${found.mounts.length} mount(s) outlived their tests:\n${[
        ...found.processes.map((p) => `  pid ${p.pid}: ${p.command.slice(0, 300)}`),
        ...found.mounts.map((m) => `  mount ${m}`),
      ].join('\n')}\n`,
    );
    for (const { pid } of found.processes) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exitCode = 1;
  }
  rmSync(dir, { recursive: true, force: true });
}
