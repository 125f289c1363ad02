/**
 * For this package's tests: what a local sandbox leaves on the host (its directory, its cgroups,
 * host processes that belong to it). Not exported.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { SandboxRef } from '@paddock/core';
import { readState, SandboxDirs } from './sandbox-state.ts';

type Known = { hostUid: number; cgroups: string[] };

/** Host processes whose command line names `dir` or that run as `hostUid`. */
function processesOf(dir: string, hostUid: number | undefined): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const detail = `uid ${uid}, ${/^State:\s+(.*)$/m.exec(status)?.[1]}, parent ${/^PPid:\s+(\d+)/m.exec(status)?.[1]}`;
      // A zombie is dead: handed to pid 1 it waits for init (slow to reap on some hosts); one of
      // this process's own children (bwrap, spawned by the runtime) is reaped on its next turn.
      const parent = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
      if (/^State:\s+Z/m.test(status) && (parent === 1 || parent === process.pid)) continue;
      if (command.includes(`${dir}/`) || (hostUid !== undefined && Number(uid) === hostUid)) {
        found.push(`process ${pid} (${detail}): ${command.slice(0, 120)}`);
      }
    } catch {}
  }
  return found;
}

/**
 * A `traces` function for the runtime contract over the runtime root `root`. It remembers each
 * sandbox's host uid and cgroups from its state file while it exists, to look for them after.
 */
export function localTraces(root: string): (ref: SandboxRef) => Promise<string[]> {
  const known = new Map<string, Known>();
  return async (ref) => {
    const dirs = new SandboxDirs(root, ref);
    const state = readState(dirs);
    if (state !== undefined && state.uid === ref.uid) {
      known.set(ref.uid, { hostUid: state.hostUid, cgroups: state.limits.cgroups });
    }
    const seen = known.get(ref.uid);
    const traces: string[] = [];
    if (existsSync(dirs.dir)) traces.push(`directory ${ref.namespace}/${ref.name}`);
    for (const cgroup of seen?.cgroups ?? []) {
      if (existsSync(cgroup)) traces.push(`cgroup ${cgroup}`);
    }
    // Rootless, every sandbox runs as our own uid: only command lines tell its processes apart.
    const hostUid = seen?.hostUid === process.getuid?.() ? undefined : seen?.hostUid;
    traces.push(...processesOf(dirs.dir, hostUid));
    return traces;
  };
}
