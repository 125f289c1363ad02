/**
 * The host-side command lines that start a sandbox and enter it. Pure: paths of binaries and
 * files come in, argv goes out. Every chain starts with a small bash script on the host
 * that joins the sandbox's cgroups before anything else runs, so no process escapes its limits.
 */
import { SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import { TOOLS_DIR } from './tool-mounts.ts';

export type HostBinaries = {
  /** Runs the host-side scripts (bash: it can close any inherited descriptor). */
  bash: string;
  sh: string;
  bwrap: string;
  nsenter: string;
  setpriv: string;
  unshare: string;
  mount: string;
  prlimit: string;
  runsc?: string;
};

export type Argv = { file: string; args: string[] };

/** Where the sandbox directory (and a rootfs) appear for bwrap inside the staging namespace. */
export function stagedPaths(hasRootfs: boolean): { sandbox: string; rootfs: string } {
  return hasRootfs
    ? { sandbox: '/tmp/sandbox', rootfs: '/tmp/rootfs' }
    : { sandbox: '/tmp', rootfs: '/tmp/rootfs' };
}

// `0` is the writer itself: bash is single-threaded, and what it execs and forks stays inside.
const JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo 0 > "$1"; shift; done; shift';

/**
 * Closes every descriptor but `keep`: whatever Paddock inherited from its own parent without
 * close-on-exec must not reach a sandbox (a directory descriptor there would be a way out).
 */
function closeFds(keep: readonly number[]): string {
  return [
    `keep=" ${keep.join(' ')} "`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS.
    'for fd in /proc/self/fd/*; do fd=${fd##*/}; case "$keep" in *" $fd "*) ;; *) exec {fd}>&- ;; esac; done',
  ].join('\n');
}

/**
 * Stages the sandbox directory (and rootfs) in a private mount namespace where bwrap, running
 * as the sandbox's unprivileged host uid, can reach them even when their parents are closed
 * to it (`/root/.paddock`): bind mounts of already-open descriptors, the sandbox directory
 * straight onto `/tmp`, or (with a rootfs) both under a tmpfs on `/tmp`. Tool directories the
 * same way, onto their mount points `tools/<i>` inside the staged sandbox directory (the mounts
 * exist only in this namespace). Every directory is opened before anything is mounted on
 * `/tmp`, which may hide it. Arguments: sandbox dir, rootfs or '', the number of tool
 * directories, each of them, then the command. Runs in bash (descriptors above 9).
 */
const STAGE = [
  'set -e',
  'sandbox=$1 rootfs=$2 tools=$3',
  'shift 3',
  'exec 7<"$sandbox"',
  'fds=',
  'i=0',
  'while [ "$i" -lt "$tools" ]; do',
  '  exec {fd}<"$1"',
  '  fds="$fds $fd"',
  '  shift',
  '  i=$((i + 1))',
  'done',
  'if [ -n "$rootfs" ]; then',
  '  exec 8<"$rootfs"',
  '  mount -t tmpfs -o mode=0755,size=64k paddock-stage /tmp',
  `  mkdir ${stagedPaths(true).sandbox} ${stagedPaths(true).rootfs}`,
  `  mount --bind /proc/self/fd/7 ${stagedPaths(true).sandbox}`,
  `  mount --rbind /proc/self/fd/8 ${stagedPaths(true).rootfs}`,
  `  staged=${stagedPaths(true).sandbox}`,
  'else',
  `  mount --bind /proc/self/fd/7 ${stagedPaths(false).sandbox}`,
  `  staged=${stagedPaths(false).sandbox}`,
  'fi',
  'exec 7<&- 8<&-',
  'i=0',
  'for fd in $fds; do',
  `  mount --bind "/proc/self/fd/$fd" "$staged/${TOOLS_DIR}/$i"`,
  '  exec {fd}<&-',
  '  i=$((i + 1))',
  'done',
  'exec "$@"',
].join('\n');

export type LaunchOptions = {
  bin: HostBinaries;
  /** cgroup files to join (`cgroupJoinFiles`; none with rlimits). */
  procs: readonly string[];
  /** The host uid:gid to run bwrap as; undefined when Paddock itself is not root. */
  hostUid?: number;
  sandboxDir: string;
  rootfs?: string;
  /** Host directories to stage at `<sandboxDir>/tools/<i>` (their mount points must exist). */
  toolSources?: readonly string[];
  rlimits: readonly string[];
  bwrapArgs: readonly string[];
};

/**
 * Starts bwrap: join cgroups; as root, stage the directories in a private mount namespace and
 * drop to the sandbox's host uid (so the sandbox user is that uid, never host root); apply
 * rlimits; exec bwrap. Every step `exec`s, so the spawned pid is bwrap's.
 */
export function launchCommand(options: LaunchOptions): Argv {
  const { bin } = options;
  const rlimit = options.rlimits.length > 0 ? [bin.prlimit, ...options.rlimits, '--'] : [];
  const bwrap = [...rlimit, bin.bwrap, ...options.bwrapArgs];
  const tail =
    options.hostUid === undefined
      ? bwrap
      : [
          bin.unshare,
          '--mount',
          '--propagation',
          'private',
          '--',
          bin.bash,
          '--norc',
          '-c',
          STAGE,
          'paddock-stage',
          options.sandboxDir,
          options.rootfs ?? '',
          String(options.toolSources?.length ?? 0),
          ...(options.toolSources ?? []),
          bin.setpriv,
          `--reuid=${options.hostUid}`,
          `--regid=${options.hostUid}`,
          '--clear-groups',
          '--',
          ...bwrap,
        ];
  const script = ['set -e', closeFds([0, 1, 2, 3, 4]), JOIN_CGROUPS, 'exec "$@"'].join('\n');
  return {
    file: bin.bash,
    args: ['--norc', '-c', script, 'paddock-launch', ...options.procs, '--', ...tail],
  };
}

/**
 * Runs inside the sandbox as the sandbox user: reads the environment from fd 3 (a file
 * Paddock wrote and the host script already unlinked, so secrets never appear in a command
 * line), changes to the working directory, and execs the command.
 */
const IN_SANDBOX = [
  // The read builtin, not `$(cat <&3)`: no fork and exec of cat on every exec.
  'env=; while IFS= read -r line <&3 || [ -n "$line" ]; do env="$env$line',
  '"; line=; done',
  'eval "$env" || exit 126',
  'exec 3<&-',
  'umask 022',
  'cd -- "$1" || exit 126',
  'shift',
  'exec "$@"',
].join('\n');

/** Opens the env file as fd 3 and removes it, then joins the cgroups. */
const ENTER_HOST = [
  'set -e',
  'exec 3<"$1"',
  'rm -f -- "$1"',
  'shift',
  closeFds([0, 1, 2, 3]),
  JOIN_CGROUPS,
  'exec "$@"',
].join('\n');

export type EnterOptions = {
  bin: HostBinaries;
  anchorPid: number;
  procs: readonly string[];
  rlimits: readonly string[];
  envFile: string;
  cwd: string;
  command: readonly string[];
};

/**
 * Runs a command inside a running sandbox: enter all of its namespaces through its init (the
 * root and working directory too, so nothing of the host stays reachable), become the sandbox
 * user (1000:1000, no supplementary groups, no new privileges), then `IN_SANDBOX`.
 * `nsenter` forks once to enter the pid namespace and mirrors its child's exit status.
 */
export function enterCommand(options: EnterOptions): Argv {
  const { bin } = options;
  const rlimit = options.rlimits.length > 0 ? [bin.prlimit, ...options.rlimits, '--'] : [];
  return {
    file: bin.bash,
    args: [
      // --norc: bash reads ~/.bashrc when its stdin is a socket, as Node's pipes are.
      '--norc',
      '-c',
      ENTER_HOST,
      'paddock-exec',
      options.envFile,
      ...options.procs,
      '--',
      bin.setpriv,
      '--no-new-privs',
      '--',
      ...rlimit,
      ...nsenterArgs(bin, options.anchorPid),
      '-S',
      String(SANDBOX_UID),
      '-G',
      String(SANDBOX_GID),
      '--',
      '/bin/sh',
      '-c',
      IN_SANDBOX,
      'paddock-exec',
      options.cwd,
      ...options.command,
    ],
  };
}

function nsenterArgs(bin: HostBinaries, pid: number): string[] {
  return [bin.nsenter, '-t', String(pid), '-U', '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w'];
}

/** Shell-quotes `value` for the environment script read by `IN_SANDBOX`. */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The environment script: `export NAME='value'` lines (names were validated before). */
export function envScript(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${quote(value)}\n`)
    .join('');
}
