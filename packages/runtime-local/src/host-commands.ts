/**
 * The host-side command lines that start a sandbox, enter it, rename its host and bind files
 * into it. Pure: paths of binaries and files come in, argv goes out. All run `host-helper.pl`,
 * one perl process that joins the sandbox's cgroups before anything else runs (so no process
 * escapes its limits), then does with system calls what a chain of bash, unshare, mount,
 * setpriv, prlimit, nsenter and sh did with a process each. The launcher (`launcher.ts`) and the
 * exec helpers (`helper-pool.ts`) run these command lines in helpers started ahead of need.
 */
import { fileURLToPath } from 'node:url';
import { SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import type { Rlimit } from './resource-limits.ts';

export type HostBinaries = {
  /** Runs host-side scripts (gVisor's kill at a timeout). */
  bash: string;
  /** Runs `host-helper.pl` (and the background supervisor). */
  perl: string;
  bwrap: string;
  runsc?: string;
};

/**
 * A host command line. `requestWords` follow `args` on a pooled helper's request descriptor
 * (`HelperPool`) and never reach argv, which other host users can read: only a pooled helper
 * runs an `Argv` that has them.
 */
export type Argv = { file: string; args: string[]; requestWords?: readonly string[] };

/** The helper script; `HelperPool` starts it ahead of need. */
export const HOST_HELPER = fileURLToPath(new URL('./host-helper.pl', import.meta.url));

/** The system calls `host-helper.pl` makes, by number, for the host's architecture. */
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: {
    close: 3,
    dup3: 292,
    mount: 165,
    unshare: 272,
    setns: 308,
    setgroups: 116,
    setresuid: 117,
    setresgid: 119,
    prlimit64: 302,
    prctl: 157,
    seccomp: 317,
    sethostname: 170,
    setsid: 112,
    fchdir: 81,
    umount2: 166,
    mkdirat: 258,
    fchownat: 260,
    open_tree: 428,
    move_mount: 429,
    openat2: 437,
    mount_setattr: 442,
    exit_group: 231,
  },
  arm64: {
    close: 57,
    dup3: 24,
    mount: 40,
    unshare: 97,
    setns: 268,
    setgroups: 159,
    setresuid: 147,
    setresgid: 149,
    prlimit64: 261,
    prctl: 167,
    seccomp: 277,
    sethostname: 161,
    setsid: 157,
    fchdir: 50,
    umount2: 39,
    mkdirat: 34,
    fchownat: 54,
    open_tree: 428,
    move_mount: 429,
    openat2: 437,
    mount_setattr: 442,
    exit_group: 94,
  },
};

/** `syscallTable()`, made once: it is in every command line and launcher request. */
let numbers: string | undefined;

/** The system call numbers `host-helper.pl` and the launcher's watchers take: `name=nr,...`. */
export function syscallTable(): string {
  if (numbers !== undefined) return numbers;
  const table = SYSCALLS[process.arch];
  if (table === undefined) throw new Error(`the local runtime does not support ${process.arch}`);
  numbers = Object.entries(table)
    .map(([name, nr]) => `${name}=${nr}`)
    .join(',');
  return numbers;
}

/** The words of the launcher's `spare` request (`HelperPool`): the system call numbers. */
export function spareWords(): string[] {
  return [syscallTable()];
}

/**
 * Where the sandbox directory, a rootfs and the staged directories (`dir=`, by index) appear for
 * bwrap inside the staging namespace: on a tmpfs of that namespace, so a start makes no mount
 * point on the host's disk.
 */
export const STAGED = {
  sandbox: '/tmp/sandbox',
  rootfs: '/tmp/rootfs',
  dir: (index: number): string => `/tmp/tools/${index}`,
} as const;

function helper(
  bin: HostBinaries,
  mode: 'launch' | 'enter' | 'bind',
  options: string[],
  tail: string[],
) {
  return { file: bin.perl, args: [HOST_HELPER, syscallTable(), mode, ...options, '--', ...tail] };
}

function common(procs: readonly string[], rlimits: readonly Rlimit[]): string[] {
  return [
    ...procs.map((file) => `cgroup=${file}`),
    ...rlimits.map((r) => `rlimit=${r.resource}:${r.value}:${r.value}`),
  ];
}

export type LaunchOptions = {
  bin: HostBinaries;
  /** cgroup files to join (`cgroupJoinFiles`; none with rlimits). */
  procs: readonly string[];
  /** The host uid:gid to run bwrap as; undefined when Paddock itself is not root. */
  hostUid?: number;
  sandboxDir: string;
  rootfs?: string;
  /** Host directories (tools, host mounts, the /etc copy) to stage, at `STAGED.dir(i)`. */
  stagedDirs?: readonly string[];
  rlimits: readonly Rlimit[];
  /** Descriptors bwrap reads (its info and status descriptors, a seccomp program). */
  keep: readonly number[];
  /** Files the helper opens as these descriptors, for bwrap (`r`: read, `w`: created 0600). */
  files?: ReadonlyArray<{ fd: number; mode: 'r' | 'w'; path: string }>;
  bwrapArgs: readonly string[];
};

/**
 * Starts bwrap: join cgroups; apply rlimits; as root, stage the directories in a private mount
 * namespace where bwrap, running as the sandbox's unprivileged host uid, can reach them even when
 * their parents are closed to it (`/root/.paddock`): the sandbox directory straight onto `/tmp`,
 * or (with a rootfs) both under a tmpfs on `/tmp`, tool directories onto their mount points
 * `tools/<i>` inside the staged sandbox directory; then drop to that uid (so the sandbox user is
 * that uid, never host root) and exec bwrap, so the spawned pid is bwrap's.
 */
export function launchCommand(options: LaunchOptions): Argv {
  const staging =
    options.hostUid === undefined
      ? []
      : [
          `uid=${options.hostUid}`,
          `sandbox=${options.sandboxDir}`,
          ...(options.rootfs === undefined ? [] : [`rootfs=${options.rootfs}`]),
          ...(options.stagedDirs ?? []).map((source) => `dir=${source}`),
        ];
  return helper(
    options.bin,
    'launch',
    [
      ...options.keep.map((fd) => `keep=${fd}`),
      ...(options.files ?? []).map((file) => `file=${file.fd}:${file.mode}:${file.path}`),
      ...common(options.procs, options.rlimits),
      ...staging,
    ],
    [options.bin.bwrap, ...options.bwrapArgs],
  );
}

export type EnterOptions = {
  bin: HostBinaries;
  anchorPid: number;
  procs: readonly string[];
  rlimits: readonly Rlimit[];
  /**
   * The environment: a file (`envFileContent`) the helper reads and removes, or its pairs as
   * `requestWords` (for a pooled helper: no file to write on the path of the exec).
   */
  env: { file: string } | { pairs: Readonly<Record<string, string>> };
  cwd: string;
  /** Paddock runs as root: become the sandbox user inside; otherwise keep the mapped uid. */
  isPrivileged: boolean;
  /** A compiled seccomp program installed right before the command runs. */
  seccompFile?: string;
  /**
   * As root: the host uid (and gid) the sandbox user maps to, handed the command's stdio pipes
   * and terminal so that it may reopen them (`/dev/stdout`); rootless, they are its already.
   */
  stdioOwner?: number;
  command: readonly string[];
};

/**
 * Runs a command inside a running sandbox: join the cgroups, enter all of its namespaces through
 * its anchor (the root and working directory too, so nothing of the host stays reachable), fork
 * once into the pid namespace, become the sandbox user (1000:1000, no supplementary groups, no
 * new privileges), install the seccomp filter, and exec the command with exactly its
 * environment. The helper mirrors its child's exit status, as nsenter does.
 */
export function enterCommand(options: EnterOptions): Argv {
  const pairs = 'pairs' in options.env ? envPairs(options.env.pairs) : undefined;
  const argv = helper(
    options.bin,
    'enter',
    [
      ...common(options.procs, options.rlimits),
      `pid=${options.anchorPid}`,
      'file' in options.env ? `env=${options.env.file}` : `envwords=${pairs?.length ?? 0}`,
      `cwd=${options.cwd}`,
      ...(options.isPrivileged ? [`user=${SANDBOX_UID}:${SANDBOX_GID}`] : []),
      ...(options.seccompFile === undefined ? [] : [`seccomp=${options.seccompFile}`]),
      ...(options.stdioOwner === undefined
        ? []
        : [`stdio=${options.stdioOwner}:${options.stdioOwner}`]),
    ],
    [...options.command],
  );
  return pairs === undefined ? argv : { ...argv, requestWords: pairs };
}

function envPairs(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

/** The environment file `enterCommand` reads: `NAME=value` pairs, each ended by a NUL. */
export function envFileContent(env: Readonly<Record<string, string>>): string {
  return envPairs(env)
    .map((pair) => `${pair}\0`)
    .join('');
}

export type BindOptions = {
  anchorPid: number;
  /** The host directory to attach (root-owned, `readonly-files.ts`). */
  source: string;
  /** Where inside the sandbox; a symlink on the way is refused. */
  dest: string;
  /** Who owns the directories made on the way (the sandbox user's host uid and gid). */
  owner?: { uid: number; gid: number };
  /** Something this runtime bound is at `dest` already: detach it first. */
  replace: boolean;
};

/**
 * Attaches a host directory read-only (nosuid, nodev) at `dest` in a running sandbox, through
 * its anchor's mount namespace, with the new mount API (a detached copy moved in): no process
 * of the sandbox takes part.
 */
export function bindCommand(bin: HostBinaries, options: BindOptions): Argv {
  return helper(
    bin,
    'bind',
    [
      `pid=${options.anchorPid}`,
      `src=${options.source}`,
      `dest=${options.dest}`,
      ...(options.owner === undefined ? [] : [`owner=${options.owner.uid}:${options.owner.gid}`]),
      ...(options.replace ? ['replace=1'] : []),
    ],
    [],
  );
}

/**
 * The launcher's request to supervise the background process of `processDir` (whose
 * `launch.nul` holds its timeout, see background-supervisor.pl) that runs `chain`: the host
 * helper's own command line (`enterCommand`) runs in the spare's helper itself, any other is
 * exec'd by it.
 */
export function superviseCommand(bin: HostBinaries, processDir: string, chain: Argv): Argv {
  const isHelper = chain.file === bin.perl && chain.args[0] === HOST_HELPER;
  return {
    file: bin.perl,
    args: [
      HOST_HELPER,
      syscallTable(),
      processDir,
      isHelper ? '1' : '0',
      ...(isHelper ? chain.args.slice(1) : [chain.file, ...chain.args]),
    ],
  };
}
