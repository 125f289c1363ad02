import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** The controllers Paddock limits sandboxes with. */
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export type CgroupMount = {
  version: 1 | 2;
  mountPoint: string;
  root: string;
  controllers: string[];
};
export type ProcCgroup = { version: 1 | 2; controllers: string[]; path: string };

/** Where sandboxes' cgroups are created: `<base>/<namespace>.<name>` (per controller on v1). */
export type CgroupLayout =
  | { mechanism: 'cgroup-v2'; base: string }
  | { mechanism: 'cgroup-v1'; bases: Record<Controller, string> };

/** The cgroup mounts in a /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint, root, controllers: [] });
    if (fsType === 'cgroup') {
      const controllers = superOptions
        .split(',')
        .filter((o) => (CONTROLLERS as readonly string[]).includes(o));
      mounts.push({ version: 1, mountPoint, root, controllers });
    }
  }
  return mounts;
}

/** The lines of /proc/self/cgroup: `0::/path` for v2, `N:memory:/path` for v1. */
export function parseProcCgroup(text: string): ProcCgroup[] {
  const entries: ProcCgroup[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, id, list = '', path = '/'] = match;
    if (id === '0' && list === '') entries.push({ version: 2, controllers: [], path });
    else entries.push({ version: 1, controllers: list.split(','), path });
  }
  return entries;
}

/** The directory of the current process's cgroup in a mount, or undefined when outside it. */
export function cgroupDir(mount: CgroupMount, path: string): string | undefined {
  const relative =
    mount.root === '/'
      ? path
      : path === mount.root || path.startsWith(`${mount.root}/`)
        ? path.slice(mount.root.length)
        : undefined;
  if (relative === undefined) return undefined;
  const dir = join(mount.mountPoint, relative);
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/** Per controller, the v1 directory of the current process's cgroup (when all three exist). */
export function v1Dirs(
  mounts: CgroupMount[],
  procs: ProcCgroup[],
): Record<Controller, string> | undefined {
  const dirs: Partial<Record<Controller, string>> = {};
  for (const controller of CONTROLLERS) {
    const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
    const proc = procs.find((p) => p.version === 1 && p.controllers.includes(controller));
    const dir = mount && proc ? cgroupDir(mount, proc.path) : undefined;
    if (dir === undefined) return undefined;
    dirs[controller] = dir;
  }
  return dirs as Record<Controller, string>;
}

export function v2Dir(mounts: CgroupMount[], procs: ProcCgroup[]): string | undefined {
  const mount = mounts.find((m) => m.version === 2);
  const proc = procs.find((p) => p.version === 2);
  return mount && proc ? cgroupDir(mount, proc.path) : undefined;
}

/** Whether this process may create cgroups under `base` (it may exist, created by root). */
function canCreateUnder(base: string): boolean {
  const probe = join(base, `.probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

function words(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Whether this process may write `path` (root may write any cgroup file; a user, delegated ones). */
function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** This process and its ancestors: `paddock up` and the server it starts. */
function ownLineage(): Set<number> {
  const pids = new Set<number>();
  for (let pid = process.pid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    const parent = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    pid = Number(parent ?? 0);
  }
  return pids;
}

/** The leaf that Paddock's own processes move to, so that `dir` may have controlled children. */
export const HOST_LEAF = 'paddock-host';

/**
 * Moves the processes of `dir` into its leaf `paddock-host` when all of them are Paddock's own
 * (this process and its ancestors): a cgroup that holds processes cannot enable controllers for
 * its children (the root cgroup aside). Another process in `dir` is not Paddock's to move.
 */
function vacate(dir: string): boolean {
  const pids = words(join(dir, 'cgroup.procs')).map(Number);
  const ours = ownLineage();
  if (!pids.every((pid) => ours.has(pid))) return false;
  const leaf = join(dir, HOST_LEAF);
  mkdirSync(leaf, { recursive: true });
  for (const pid of pids) writeFileSync(join(leaf, 'cgroup.procs'), String(pid));
  return true;
}

/**
 * cgroup v2 is usable when the memory, cpu and pids controllers are available in the current
 * cgroup and this process may manage its subtree: as root, or as a user the cgroup was delegated
 * to (its `cgroup.procs` and `cgroup.subtree_control` writable, as systemd's `Delegate=yes` or
 * `systemd-run --user --scope -p Delegate=yes` make them). Sandboxes' cgroups go under
 * `<cgroup>/paddock/`; when the current cgroup holds Paddock's processes, they move to
 * `<cgroup>/paddock-host/` first (see `vacate`).
 */
function tryV2(dir: string): CgroupLayout | undefined {
  const available = words(join(dir, 'cgroup.controllers'));
  if (!CONTROLLERS.every((c) => available.includes(c))) return undefined;
  const subtree = join(dir, 'cgroup.subtree_control');
  if (![dir, subtree, join(dir, 'cgroup.procs')].every(isWritable)) return undefined;
  const enable = CONTROLLERS.map((c) => `+${c}`).join(' ');
  try {
    if (!CONTROLLERS.every((c) => words(subtree).includes(c))) {
      try {
        writeFileSync(subtree, enable);
      } catch (error) {
        const isBusy = (error as NodeJS.ErrnoException).code === 'EBUSY';
        if (!isBusy || !vacate(dir)) return undefined;
        writeFileSync(subtree, enable);
      }
    }
    const base = join(dir, 'paddock');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'cgroup.subtree_control'), enable);
    return canCreateUnder(base) ? { mechanism: 'cgroup-v2', base } : undefined;
  } catch {
    return undefined;
  }
}

function tryV1(dirs: Record<Controller, string>): CgroupLayout | undefined {
  try {
    const bases = {} as Record<Controller, string>;
    for (const controller of CONTROLLERS) {
      bases[controller] = join(dirs[controller], 'paddock');
      mkdirSync(bases[controller], { recursive: true });
      if (!canCreateUnder(bases[controller])) return undefined;
    }
    return { mechanism: 'cgroup-v1', bases };
  } catch {
    return undefined;
  }
}

/**
 * Finds how this host can limit sandboxes: cgroup v2 where the controllers are delegated,
 * else cgroup v1 hierarchies that this process may write (as root), else nothing (rlimits).
 * Sandboxes' cgroups nest under the current process's own, so the host's limits still hold.
 */
export function detectCgroupLayout(
  prefer: 'auto' | 'cgroup-v2' | 'cgroup-v1' = 'auto',
): CgroupLayout | undefined {
  if (!existsSync('/proc/self/mountinfo')) return undefined;
  const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const procs = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  if (prefer !== 'cgroup-v1') {
    const dir = v2Dir(mounts, procs);
    const layout = dir === undefined ? undefined : tryV2(dir);
    if (layout || prefer === 'cgroup-v2') return layout;
  }
  const dirs = v1Dirs(mounts, procs);
  return dirs === undefined ? undefined : tryV1(dirs);
}
