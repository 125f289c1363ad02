// Which cgroup hierarchy limits sandboxes here: v2 with delegated controllers, or v1 mounts.
import { join } from 'node:path';
import { CheckStatus, check, type DoctorCheck } from './check.ts';
import type { ReadText } from './kernel-checks.ts';

const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

type Mount = { version: 1 | 2; mountPoint: string; root: string; controllers: string[] };

/** The cgroup mounts in a /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const [, , , root, mountPoint] = left.split(' ');
    const [fsType, , options = ''] = right.split(' ');
    if (root === undefined || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint, root, controllers: [] });
    if (fsType === 'cgroup') {
      mounts.push({ version: 1, mountPoint, root, controllers: options.split(',') });
    }
  }
  return mounts;
}

/** This process's v2 cgroup directory, from its `0::/path` line in /proc/self/cgroup. */
function v2Dir(mounts: Mount[], procCgroup: string): string | undefined {
  const mount = mounts.find((m) => m.version === 2);
  const path = /^0::(.*)$/m.exec(procCgroup)?.[1];
  if (!mount || path === undefined) return undefined;
  if (mount.root !== '/' && path !== mount.root && !path.startsWith(`${mount.root}/`)) {
    return undefined;
  }
  return join(mount.mountPoint, mount.root === '/' ? path : path.slice(mount.root.length));
}

/** Whether this process may write a path (a cgroup file); root may write any. */
export type IsWritable = (path: string) => boolean;

/** What rlimits hold when no cgroup applies. */
const RLIMITS = 'rlimits (memory per process, pids per sandbox, no cpu limit)';

/**
 * Reports which of the memory, cpu and pids limits will apply: all through cgroup v2 when this
 * process's cgroup has them available and is this user's to manage (root, or a subtree delegated
 * to it: writable `cgroup.procs` and `cgroup.subtree_control`), else those whose v1 hierarchy is
 * mounted (written as root), the rest falling back to rlimits. Reads only; creates no cgroup.
 */
export function checkCgroups(
  input: { mountinfo: string; procCgroup: string; uid: number },
  read: ReadText,
  isWritable: IsWritable = () => input.uid === 0,
): DoctorCheck {
  const mounts = parseCgroupMounts(input.mountinfo);
  const fix =
    input.uid === 0
      ? 'delegate memory, cpu and pids to paddock on cgroup v2 (systemd: Delegate=yes), or mount the cgroup v1 controllers'
      : 'run paddock up in a delegated cgroup: systemd-run --user --scope -p Delegate=yes paddock up';
  const dir = v2Dir(mounts, input.procCgroup);
  const delegated =
    dir === undefined ? [] : (read(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
  if (dir !== undefined && CONTROLLERS.every((c) => delegated.includes(c))) {
    const files = ['cgroup.procs', 'cgroup.subtree_control'].map((f) => join(dir, f));
    if (files.every(isWritable)) {
      return check(
        'cgroups',
        CheckStatus.Ok,
        `cgroup v2 (${dir}): memory, cpu and pids limits apply`,
      );
    }
    if (input.uid !== 0) {
      return check(
        'cgroups',
        CheckStatus.Warn,
        `cgroup v2 (${dir}) is not delegated to uid ${input.uid}: limits fall back to ${RLIMITS}`,
        fix,
      );
    }
  }
  if (input.uid !== 0) {
    return check(
      'cgroups',
      CheckStatus.Warn,
      `no cgroup v2 subtree delegated to uid ${input.uid}: limits fall back to ${RLIMITS}`,
      fix,
    );
  }
  const v1 = CONTROLLERS.filter((c) =>
    mounts.some((m) => m.version === 1 && m.controllers.includes(c)),
  );
  const missing = CONTROLLERS.filter((c) => !v1.includes(c));
  if (v1.length === 0) {
    return check(
      'cgroups',
      CheckStatus.Warn,
      'no usable cgroup controllers: memory, cpu and pids limits fall back to rlimits (no cpu limit)',
      fix,
    );
  }
  return missing.length === 0
    ? check('cgroups', CheckStatus.Ok, 'cgroup v1 (memory, cpu, pids mounted): those limits apply')
    : check(
        'cgroups',
        CheckStatus.Warn,
        `cgroup v1: ${v1.join(', ')} limits apply; ${missing.join(', ')} fall back to rlimits`,
        fix,
      );
}
