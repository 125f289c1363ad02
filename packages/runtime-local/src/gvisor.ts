/**
 * `isolation: gvisor`: the same sandbox (system view, generated /etc, /workspace, home, tmpfs
 * /tmp, no capabilities, user 1000) as an OCI bundle run by gVisor's `runsc`, whose user-space
 * kernel stands between the sandbox and the host's. Processes are started with `runsc exec`.
 *
 * Differences from bubblewrap sandboxes: gVisor has no user-namespace mapping here, so files
 * the sandbox writes belong to host uid 1000; runsc exec reports a death by signal n as the exit
 * code `128 + n`, so only a signal Paddock sent (or its timeout's SIGKILL) is read back as one.
 */
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  EGRESS_DIR,
  SANDBOX_GID,
  SANDBOX_HOME,
  SANDBOX_UID,
  type ViewEntry,
  WORKSPACE,
} from './bwrap-launcher.ts';
import type { Argv } from './host-commands.ts';

export type OciPlan = {
  hostname: string;
  view: readonly ViewEntry[];
  generated: ReadonlyArray<{ source: string; dest: string }>;
  workspace: string;
  home: string;
  egressDir?: string;
  /** Host directories bound read-only at their `dest` under `/opt/`. */
  toolMounts?: ReadonlyArray<{ source: string; dest: string }>;
  /** Template host mounts (`host-mounts.ts`), read-only or writable. */
  hostMounts?: ReadonlyArray<{ source: string; dest: string; readOnly: boolean }>;
  /**
   * The sandbox's `procs/` directory, bound writable at `PROCS_DIR`: background processes write
   * their output there through gVisor's gofer, so it goes on after a checkpoint and restore.
   */
  procsDir?: string;
  tmpSizeBytes?: number;
};

/** Where a gVisor sandbox sees its `procs/` (output files only: the directories are root's). */
export const PROCS_DIR = '/run/paddock-procs';

/** Beside a background process's records while a checkpoint image holds it: its in-sandbox pid. */
export const HELD_FILE = 'held.json';

type OciMount = { destination: string; type: string; source: string; options?: string[] };

const NO_CAPABILITIES = {
  bounding: [],
  effective: [],
  permitted: [],
  inheritable: [],
  ambient: [],
};

/** The OCI runtime config of a gVisor sandbox whose root is an empty read-only skeleton. */
export function ociConfig(plan: OciPlan): Record<string, unknown> {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'nodev', 'mode=1777'],
    },
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: [
        'nosuid',
        'nodev',
        'mode=1777',
        ...(plan.tmpSizeBytes === undefined ? [] : [`size=${plan.tmpSizeBytes}`]),
      ],
    },
  ];
  for (const entry of plan.view) {
    if (entry.kind === 'bind') mounts.push(bind(entry.source, entry.dest, 'ro'));
  }
  for (const file of plan.generated) mounts.push(bind(file.source, file.dest, 'ro'));
  mounts.push(bind(plan.workspace, WORKSPACE, 'rw'), bind(plan.home, SANDBOX_HOME, 'rw'));
  if (plan.egressDir !== undefined) mounts.push(bind(plan.egressDir, EGRESS_DIR, 'ro'));
  for (const mount of plan.toolMounts ?? []) mounts.push(bind(mount.source, mount.dest, 'ro'));
  for (const mount of plan.hostMounts ?? [])
    mounts.push(bind(mount.source, mount.dest, mount.readOnly ? 'ro' : 'rw'));
  if (plan.procsDir !== undefined) mounts.push(bind(plan.procsDir, PROCS_DIR, 'rw'));
  return {
    ociVersion: '1.0.2',
    process: {
      user: { uid: SANDBOX_UID, gid: SANDBOX_GID },
      args: ['sleep', 'infinity'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: WORKSPACE,
      noNewPrivileges: true,
      capabilities: NO_CAPABILITIES,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: plan.hostname,
    mounts,
    linux: { namespaces: ['pid', 'ipc', 'uts', 'mount', 'network'].map((type) => ({ type })) },
  };
}

function bind(source: string, destination: string, mode: 'ro' | 'rw'): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', mode, 'nosuid', 'nodev'] };
}

/**
 * The process of one `runsc exec`: user 1000, no capabilities, the given env and directory.
 * With `outputDir` (a path inside the sandbox), its stdout and stderr are appended to the files
 * there, opened inside the sandbox rather than handed in by runsc: a restored sandbox has no
 * descriptors of the host's, and those files are still there after a restore.
 */
export function ociProcess(
  command: readonly string[],
  env: Record<string, string>,
  cwd: string,
  terminal = false,
  outputDir?: string,
): Record<string, unknown> {
  const redirect = 'exec >>"$1/stdout" 2>>"$1/stderr" </dev/null; shift; ';
  return {
    terminal,
    user: { uid: SANDBOX_UID, gid: SANDBOX_GID },
    // Through sh, as in bubblewrap sandboxes: a missing cwd exits 126 and a missing program 127,
    // where runsc's own failure would be 128.
    args: [
      '/bin/sh',
      '-c',
      `${outputDir === undefined ? '' : redirect}cd -- "$1" || exit 126; shift; exec "$@"`,
      'paddock-exec',
      ...(outputDir === undefined ? [] : [outputDir]),
      cwd,
      ...command,
    ],
    env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    cwd: '/',
    noNewPrivileges: true,
    capabilities: NO_CAPABILITIES,
  };
}

/**
 * Paths of a gVisor sandbox's bundle, runsc state and checkpoint image under the sandbox
 * directory (so the image goes with the sandbox when it is deleted).
 */
export function gvisorPaths(sandboxDir: string): {
  bundle: string;
  rootfs: string;
  state: string;
  image: string;
} {
  const bundle = join(sandboxDir, 'gvisor', 'bundle');
  return {
    bundle,
    rootfs: join(bundle, 'rootfs'),
    state: join(sandboxDir, 'gvisor', 'state'),
    image: join(sandboxDir, 'gvisor', 'checkpoint'),
  };
}

/** Writes the bundle: config.json and the root skeleton (mount points and the view's symlinks). */
export function writeBundle(sandboxDir: string, plan: OciPlan): void {
  const paths = gvisorPaths(sandboxDir);
  rmSync(paths.rootfs, { recursive: true, force: true });
  const config = ociConfig(plan);
  for (const entry of plan.view) {
    if (entry.kind === 'dir')
      mkdirSync(join(paths.rootfs, entry.dest), { recursive: true, mode: 0o755 });
    if (entry.kind === 'symlink') {
      mkdirSync(dirname(join(paths.rootfs, entry.dest)), { recursive: true, mode: 0o755 });
      symlinkSync(entry.target, join(paths.rootfs, entry.dest));
    }
  }
  // A mount point is a directory, or an empty file where a file is bound.
  for (const mount of config.mounts as OciMount[]) {
    const point = join(paths.rootfs, mount.destination);
    if (mount.type === 'bind' && !statSync(mount.source).isDirectory()) {
      mkdirSync(dirname(point), { recursive: true, mode: 0o755 });
      writeFileSync(point, '', { mode: 0o644 });
    } else {
      mkdirSync(point, { recursive: true, mode: 0o755 });
    }
  }
  mkdirSync(paths.state, { recursive: true, mode: 0o700 });
  writeFileSync(join(paths.bundle, 'config.json'), JSON.stringify(config, null, 2), {
    mode: 0o600,
  });
}

export function containerId(namespace: string, name: string): string {
  return `paddock.${namespace}.${name}`;
}

function runscBase(runsc: string, state: string, network: 'none' | 'host'): string[] {
  return [runsc, `--root=${state}`, `--network=${network}`];
}

/** `runsc run --detach`: starts the sandbox and returns once its init runs. */
export function runscRun(
  runsc: string,
  sandboxDir: string,
  id: string,
  network: 'none' | 'host',
): string[] {
  const paths = gvisorPaths(sandboxDir);
  return [
    ...runscBase(runsc, paths.state, network),
    'run',
    `--bundle=${paths.bundle}`,
    '--detach',
    id,
  ];
}

/** `runsc checkpoint`: saves the sandbox's memory and processes to `image`, then ends it. */
export function runscCheckpoint(runsc: string, sandboxDir: string, id: string): string[] {
  const paths = gvisorPaths(sandboxDir);
  return [runsc, `--root=${paths.state}`, 'checkpoint', `--image-path=${paths.image}`, id];
}

/**
 * `runsc restore --detach`: starts the sandbox again from its checkpoint image (`image`: another
 * image, a snapshot's, restored as this sandbox).
 */
export function runscRestore(
  runsc: string,
  sandboxDir: string,
  id: string,
  network: 'none' | 'host',
  image?: string,
): string[] {
  const paths = gvisorPaths(sandboxDir);
  return [
    ...runscBase(runsc, paths.state, network),
    'restore',
    `--image-path=${image ?? paths.image}`,
    `--bundle=${paths.bundle}`,
    '--detach',
    id,
  ];
}

/** `runsc ps --format=json`: the pids of the sandbox's processes, as its kernel numbers them. */
export function runscPs(runsc: string, sandboxDir: string, id: string): string[] {
  return [runsc, `--root=${gvisorPaths(sandboxDir).state}`, 'ps', '--format=json', id];
}

/**
 * `runsc wait --pid`: waits for a process of the sandbox (any, not only one this runsc started)
 * and prints `{"id":…,"exitStatus":N}` (128 + n for a death by signal n).
 */
export function runscWait(runsc: string, sandboxDir: string, id: string, pid: number): string[] {
  return [runsc, `--root=${gvisorPaths(sandboxDir).state}`, 'wait', `--pid=${pid}`, id];
}

export function runscExec(
  runsc: string,
  sandboxDir: string,
  id: string,
  processFile: string,
  pidFile: string,
): Argv {
  const paths = gvisorPaths(sandboxDir);
  return {
    file: runsc,
    args: [
      `--root=${paths.state}`,
      'exec',
      `--process=${processFile}`,
      `--internal-pid-file=${pidFile}`,
      id,
    ],
  };
}

export function runscKill(
  runsc: string,
  sandboxDir: string,
  id: string,
  signal: string,
  pid?: number,
): string[] {
  const paths = gvisorPaths(sandboxDir);
  return [
    runsc,
    `--root=${paths.state}`,
    'kill',
    ...(pid === undefined ? [] : [`--pid=${pid}`]),
    id,
    signal,
  ];
}

export function runscDelete(runsc: string, sandboxDir: string, id: string): string[] {
  return [runsc, `--root=${gvisorPaths(sandboxDir).state}`, 'delete', '--force', id];
}

export function runscState(runsc: string, sandboxDir: string, id: string): string[] {
  return [runsc, `--root=${gvisorPaths(sandboxDir).state}`, 'state', id];
}

/** The container-internal pid runsc exec wrote, once it has. */
export function readInternalPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
