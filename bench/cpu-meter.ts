// Where a phase's CPU went, per operation: the server process (every thread), this process (the
// client), and the rest of the machine (the launcher's forks, bwrap and the sandboxes, and any
// other load on the host), from /proc, read before and after the phase.
import { readFileSync } from 'node:fs';

export type CpuSplit = {
  /** CPU ms per operation of the server process (all its threads, user + system). */
  serverMs: number;
  /** CPU ms per operation of this process (the client driving the load). */
  clientMs: number;
  /** CPU ms per operation of everything else on the host. */
  restMs: number;
  /** Share of the host's CPU time left idle during the phase (0..1). */
  idle: number;
};

type Reading = { serverMs: number; clientMs: number; busyMs: number; totalMs: number };

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of `pid` in ms. */
function processMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** The host's busy and total CPU time in ms (all CPUs, `/proc/stat`'s first line). */
function hostMs(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  const total = busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0);
  return { busyMs: busy * TICK_MS, totalMs: total * TICK_MS };
}

/** Starts measuring; `stop(ops)` gives the split per operation since the start. */
export function startCpuMeter(serverPid: number): { stop(ops: number): CpuSplit | undefined } {
  const read = (): Reading | undefined => {
    try {
      const own = process.cpuUsage();
      return {
        serverMs: processMs(serverPid),
        clientMs: (own.user + own.system) / 1000,
        ...hostMs(),
      };
    } catch {
      return undefined; // not Linux, or the server is gone: no split
    }
  };
  const start = read();
  return {
    stop(ops) {
      const end = read();
      if (start === undefined || end === undefined || ops === 0) return undefined;
      const serverMs = end.serverMs - start.serverMs;
      const clientMs = end.clientMs - start.clientMs;
      const busyMs = end.busyMs - start.busyMs;
      const totalMs = end.totalMs - start.totalMs;
      return {
        serverMs: serverMs / ops,
        clientMs: clientMs / ops,
        restMs: Math.max(0, busyMs - serverMs - clientMs) / ops,
        idle: totalMs > 0 ? 1 - busyMs / totalMs : 0,
      };
    },
  };
}

/** `CPU per op: server 4.1 ms, client 2.3 ms, rest of host 3.9 ms, 12% idle`. */
export function formatCpuSplit(split: CpuSplit | undefined): string {
  if (split === undefined) return 'CPU per op: not measured';
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `CPU per op: server ${ms(split.serverMs)}, client ${ms(split.clientMs)}, rest of host ${ms(split.restMs)} (launcher forks, bwrap, sandboxes, other load), ${(split.idle * 100).toFixed(0)}% idle`;
}
