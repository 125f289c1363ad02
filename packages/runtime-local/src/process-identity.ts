import { readFileSync, readlinkSync } from 'node:fs';

/**
 * A process as the host knows it across restarts of Paddock: its pid, when it started (clock
 * ticks since boot, field 22 of /proc/<pid>/stat) and the boot it belongs to. A pid alone is
 * not an identity: after a reboot or a wrap-around another process may hold it.
 */
export type ProcessIdentity = { pid: number; startTicks: string; bootId: string };

let bootId: string | undefined;

/** This boot's id, read once: it cannot change while this process runs. */
export function currentBootId(): string {
  if (bootId !== undefined) return bootId;
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    bootId = 'unknown';
  }
  return bootId;
}

/** The start time of `pid` in clock ticks since boot, or undefined when it does not exist. */
export function readStartTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19]. A zombie is as good as gone.
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return rest[19];
}

export function identify(pid: number): ProcessIdentity | undefined {
  const startTicks = readStartTicks(pid);
  return startTicks === undefined ? undefined : { pid, startTicks, bootId: currentBootId() };
}

/** True when the very process recorded in `identity` is still alive. */
export function isAlive(identity: ProcessIdentity): boolean {
  return (
    identity.bootId === currentBootId() && readStartTicks(identity.pid) === identity.startTicks
  );
}

/** The direct children of `pid` (needs CONFIG_PROC_CHILDREN, present in every distribution kernel). */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}

/** Whether bwrap's init has a child that already runs its own program (the anchor has exec'd). */
export function hasExecdChild(initPid: number): boolean {
  const exe = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return undefined;
    }
  };
  const initExe = exe(initPid);
  return childrenOf(initPid).some((child) => {
    const childExe = exe(child);
    return childExe !== undefined && childExe !== initExe;
  });
}
