/**
 * The bubblewrap command line of one sandbox, built from plain data so that it can be read and
 * tested without starting anything. The impure parts (scanning the host's `/etc`, opening files)
 * live in `system-view.ts` and `sandbox-launch.ts`.
 */

/** The uid and gid of the sandbox user as the sandbox sees them. */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const SANDBOX_USER = 'user';
export const SANDBOX_HOME = '/home/user';
export const WORKSPACE = '/workspace';
/** Where the sandbox reaches the host's egress proxy (allowlist egress only). */
export const EGRESS_DIR = '/run/paddock';

/** One entry of the read-only system view: a bind of a host path, or a symlink made inside. */
export type ViewEntry =
  | { kind: 'bind'; source: string; dest: string }
  | { kind: 'symlink'; target: string; dest: string }
  | { kind: 'dir'; dest: string };

/** Files Paddock generates for the sandbox's `/etc` (passwd, group, hosts, hostname). */
export type GeneratedFile = { dest: string; source: string };

export type BwrapPlan = {
  hostname: string;
  /** `open` shares the host's network; anything else gets an empty network namespace. */
  shareNetwork: boolean;
  /** The read-only system: `/usr` and a filtered `/etc`, or the entries of a directory rootfs. */
  view: readonly ViewEntry[];
  generated: readonly GeneratedFile[];
  /** Host paths (as bwrap sees them) of the writable workspace and home. */
  workspace: string;
  home: string;
  /** A directory holding the egress proxy's socket, bound at `EGRESS_DIR`. */
  egressDir?: string;
  /** Host directories (as bwrap sees them) bound read-only at their `dest` under `/opt/`. */
  toolMounts?: ReadonlyArray<{ source: string; dest: string }>;
  /** Template host mounts (`host-mounts.ts`; sources as bwrap sees them), after the tools. */
  hostMounts?: ReadonlyArray<{ source: string; dest: string; readOnly: boolean }>;
  /**
   * Size of each of the `/tmp` and `/dev/shm` tmpfs; unbounded when absent, where a memory cgroup
   * counts their pages against the sandbox's memory limit (rlimits do not: they need a size).
   */
  tmpSizeBytes?: number;
  /**
   * Kernel refuses nested user namespaces (needs `--unshare-user`; bwrap ≥ 0.8). bwrap does it
   * from a second user namespace, which an unprivileged Paddock could not enter (see `hasDevpts`).
   */
  disableNestedUserns: boolean;
  /**
   * `/dev` with a private devpts (`--dev`; the default), or, when false, a tmpfs with the basic
   * devices bound from the host and no `/dev/pts`. Mounting devpts makes bwrap map uid 0 first and
   * switch to the sandbox user in a second, nested user namespace; the sandbox's other namespaces
   * then belong to the first one, which no process stays in, so an unprivileged Paddock (which can
   * enter them only through a user namespace it joins) could not enter the sandbox.
   */
  hasDevpts?: boolean;
  infoFd: number;
  statusFd: number;
  /** A descriptor bwrap reads the seccomp program from (`seccomp.ts`), applied to the sandbox. */
  seccompFd?: number;
  /** The idle process that keeps the namespaces alive. */
  anchor: readonly string[];
};

/**
 * The bwrap arguments (without `bwrap` itself) for a sandbox: every namespace new (the network
 * one unless `shareNetwork`), the sandbox user 1000:1000, no capabilities, its own session, not
 * tied to its parent's life, a read-only root with the system view, `/proc`, a minimal `/dev`,
 * tmpfs `/tmp` and `/dev/shm`, and the writable `/workspace` and home.
 */
export function buildBwrapArgs(plan: BwrapPlan): string[] {
  const args = ['--unshare-all', '--unshare-user'];
  if (plan.shareNetwork) args.push('--share-net');
  if (plan.disableNestedUserns) args.push('--disable-userns', '--assert-userns-disabled');
  args.push(
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_GID),
    '--hostname',
    plan.hostname,
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    '--info-fd',
    String(plan.infoFd),
    '--json-status-fd',
    String(plan.statusFd),
  );
  if (plan.seccompFd !== undefined) args.push('--seccomp', String(plan.seccompFd));
  for (const entry of plan.view) args.push(...viewArgs(entry));
  for (const file of plan.generated) args.push('--ro-bind', file.source, file.dest);
  // A whole `/etc` (an `EtcView`) brings its own mtab: it is read-only by then.
  if (!plan.view.some((entry) => entry.kind === 'bind' && entry.dest === '/etc'))
    args.push('--symlink', '../proc/self/mounts', '/etc/mtab');
  args.push('--proc', '/proc', ...devArgs(plan.hasDevpts ?? true));
  for (const dest of ['/dev/shm', '/tmp']) {
    if (plan.tmpSizeBytes !== undefined) args.push('--size', String(plan.tmpSizeBytes));
    args.push('--tmpfs', dest);
  }
  args.push('--bind', plan.workspace, WORKSPACE, '--bind', plan.home, SANDBOX_HOME);
  if (plan.egressDir !== undefined) args.push('--ro-bind', plan.egressDir, EGRESS_DIR);
  for (const mount of plan.toolMounts ?? []) args.push('--ro-bind', mount.source, mount.dest);
  for (const mount of plan.hostMounts ?? [])
    args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.source, mount.dest);
  // Last: nothing but the binds above stays writable, and `/dev` gets no new nodes.
  args.push('--remount-ro', '/dev', '--remount-ro', '/');
  args.push('--chdir', WORKSPACE, '--', ...plan.anchor);
  return args;
}

/** The devices `--dev` provides, bound from the host when there is no devpts. */
const BASIC_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/** The symlinks `--dev` makes, but `ptmx` (no devpts) and `core` (no `/proc/kcore` to read). */
const DEV_SYMLINKS: ReadonlyArray<[string, string]> = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

function devArgs(hasDevpts: boolean): string[] {
  if (hasDevpts) return ['--dev', '/dev'];
  const args = ['--tmpfs', '/dev'];
  for (const name of BASIC_DEVICES) args.push('--dev-bind-try', `/dev/${name}`, `/dev/${name}`);
  for (const [target, dest] of DEV_SYMLINKS) args.push('--symlink', target, dest);
  return args;
}

function viewArgs(entry: ViewEntry): string[] {
  switch (entry.kind) {
    case 'bind':
      return ['--ro-bind', entry.source, entry.dest];
    case 'symlink':
      return ['--symlink', entry.target, entry.dest];
    case 'dir':
      return ['--dir', entry.dest];
  }
}

/** `/etc/passwd`, `/etc/group`, `/etc/hosts` and `/etc/hostname` for a sandbox. */
export function generatedEtc(
  hostname: string,
): Record<'passwd' | 'group' | 'hosts' | 'hostname', string> {
  return {
    passwd: [
      'root:x:0:0:root:/root:/usr/sbin/nologin',
      `${SANDBOX_USER}:x:${SANDBOX_UID}:${SANDBOX_GID}:Sandbox user:${SANDBOX_HOME}:/bin/bash`,
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'),
    group: ['root:x:0:', `${SANDBOX_USER}:x:${SANDBOX_GID}:`, 'nogroup:x:65534:', ''].join('\n'),
    hosts: [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `127.0.1.1\t${hostname}`,
      '',
    ].join('\n'),
    hostname: `${hostname}\n`,
  };
}
