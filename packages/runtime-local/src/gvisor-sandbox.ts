import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, PaddockError } from '@paddock/core';
import { generatedEtc, SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import { HOST_ENV } from './exec.ts';
import {
  containerId,
  gvisorPaths,
  HELD_FILE,
  ociProcess,
  PROCS_DIR,
  readInternalPid,
  runscDelete,
  runscExec,
  runscKill,
  runscRestore,
  runscRun,
  runscState,
  writeBundle,
} from './gvisor.ts';
import { dropSeed, renameRestored, seedImageOf } from './gvisor-snapshot.ts';
import type { Argv } from './host-commands.ts';
import type { HostMount } from './host-mounts.ts';
import { identify } from './process-identity.ts';
import { signalName } from './process-signals.ts';
import { cgroupJoinFiles } from './sandbox-cgroups.ts';
import {
  hostnameOf,
  type Incarnation,
  type SandboxDirs,
  type SandboxState,
} from './sandbox-state.ts';
import { hostSystemView, rootfsView } from './system-view.ts';
import type { ToolMount } from './tool-mounts.ts';

const run = promisify(execFile);

export function isGvisor(state: SandboxState): boolean {
  return state.spec.isolation === 'gvisor';
}

async function runsc(argv: string[], timeoutMs = 30_000): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  const { stdout } = await run(file, args, { env: HOST_ENV, timeout: timeoutMs });
  return stdout;
}

/**
 * Starts a gVisor sandbox: writes its bundle, then `runsc run --detach` from a bash that has
 * joined the sandbox's cgroups (so gVisor's sandbox and gofer processes carry its limits).
 * runsc's gofer runs as root, so tool directories are bound straight from their host paths.
 */
export async function launchGvisor(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  options: {
    egressDir?: string;
    toolMounts?: readonly ToolMount[];
    hostMounts?: readonly HostMount[];
  } = {},
): Promise<Incarnation> {
  const { egressDir } = options;
  const etc = generatedEtc(hostnameOf(state));
  for (const [name, content] of Object.entries(etc))
    writeFileSync(join(dirs.etc, name), content, { mode: 0o644 });
  // Without a user namespace, the sandbox user is host uid 1000 to the files it writes.
  for (const dir of [dirs.workspace, dirs.home]) chownSync(dir, SANDBOX_UID, SANDBOX_GID);
  const shareNetwork = state.spec.network?.egress === 'open';
  const rootfs = state.spec.rootfs;
  // Root's, passable by the sandbox user: it opens its processes' output files there.
  mkdirSync(dirs.procs, { recursive: true, mode: 0o711 });
  chmodSync(dirs.procs, 0o711);
  writeBundle(dirs.dir, {
    procsDir: dirs.procs,
    hostname: hostnameOf(state),
    view:
      rootfs === undefined
        ? hostSystemView({ shareNetwork })
        : rootfsView({
            scanPath: rootfs,
            bwrapPath: rootfs,
            shareNetwork,
            toolDests: (options.toolMounts ?? []).map((mount) => mount.dest),
          }),
    generated: Object.keys(etc).map((name) => ({
      source: join(dirs.etc, name),
      dest: `/etc/${name}`,
    })),
    workspace: dirs.workspace,
    home: dirs.home,
    ...(egressDir === undefined ? {} : { egressDir }),
    toolMounts: options.toolMounts ?? [],
    hostMounts: options.hostMounts ?? [],
  });
  const id = containerId(state.namespace, state.name);
  await runsc(runscDelete(runscPath, dirs.dir, id)).catch(() => '');
  const network = shareNetwork ? 'host' : 'none';
  // Made from a snapshot with memory (`gvisor-snapshot.ts`): restored from its image, once.
  const seed = seedImageOf(dirs.dir);
  if (!existsSync(join(seed, 'checkpoint.img'))) {
    return startInCgroups(
      dirs,
      state,
      runscPath,
      runscRun(runscPath, dirs.dir, id, network),
      'start',
    );
  }
  try {
    const argv = runscRestore(runscPath, dirs.dir, id, network, seed);
    const incarnation = await startInCgroups(dirs, state, runscPath, argv, 'restore');
    await renameRestored(dirs, state, runscPath);
    return incarnation;
  } finally {
    dropSeed(dirs.dir);
  }
}

/**
 * Runs `argv` (a detaching `runsc run` or `runsc restore`) from a bash that has joined the
 * sandbox's cgroups, so gVisor's sandbox and gofer processes carry its limits, and returns the
 * incarnation: the sandbox process runsc reports.
 */
export async function startInCgroups(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  argv: readonly string[],
  verb: 'start' | 'restore',
): Promise<Incarnation> {
  const id = containerId(state.namespace, state.name);
  const joinCgroups = 'while [ "$1" != -- ]; do echo 0 > "$1"; shift; done; shift; exec "$@"';
  // The container keeps runsc's stdio: a log file, never a pipe that would outlive this call, and
  // an empty file of its own as stdin. Never the host's /dev/null: runsc hands its stdio to the
  // sandbox's user (fchown to 65534), which would make the host's /dev/null nobody's.
  const logPath = join(dirs.logs, 'runsc.log');
  const log = openSync(logPath, 'w', 0o600);
  const stdin = openSync(join(dirs.logs, 'runsc.stdin'), 'w+', 0o600);
  const child = spawn(
    '/bin/bash',
    [
      '--norc',
      '-c',
      joinCgroups,
      'paddock-gvisor',
      ...cgroupJoinFiles(state.limits.cgroups, state.limits.mechanism),
      '--',
      ...argv,
    ],
    {
      env: HOST_ENV,
      stdio: [stdin, log, log],
      cwd: '/',
    },
  );
  closeSync(log);
  closeSync(stdin);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => resolve(exitCode));
    child.once('error', () => resolve(-1));
  });
  if (code !== 0) {
    const detail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-3).join('\n');
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `runsc could not ${verb} sandbox ${state.namespace}/${state.name}: ${detail}`,
    );
  }
  const pid = Number(JSON.parse(await runsc(runscState(runscPath, dirs.dir, id))).pid);
  const anchor = identify(pid);
  if (anchor === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `runsc sandbox ${state.namespace}/${state.name} exited at once`,
    );
  }
  return { monitor: anchor, anchor, startedAt: new Date().toISOString() };
}

/** Kills every process of the gVisor sandbox and forgets the container. */
export async function stopGvisor(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
): Promise<void> {
  const id = containerId(state.namespace, state.name);
  await runsc(runscKill(runscPath, dirs.dir, id, 'KILL')).catch(() => '');
  await runsc(runscDelete(runscPath, dirs.dir, id)).catch(() => '');
}

export type GvisorExec = {
  argv: Argv;
  processFile: string;
  pidFile: string;
  signal: (hostPid: number, signal: string) => Promise<void>;
  /** What kills the process and its process group inside at a timeout (a `runsc exec` of kill). */
  killAtTimeout: (bash: string) => { file: string; args: string[] };
};

/** Signals the group led by $2 (runsc exec makes each exec'd process lead one), else $2 alone. */
const SIGNAL_GROUP = 'kill -s "$1" -- -"$2" 2>/dev/null || kill -s "$1" "$2"';

/**
 * Signals a `runsc exec` process and everything it started (its process group, through a `runsc
 * exec` of kill), by the container-internal pid it recorded (waits briefly for it); `runsc kill
 * --pid`, which reaches the process alone, when that exec cannot run.
 */
export async function signalGvisorProcess(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  pidFile: string,
  signal: string,
): Promise<void> {
  const name = signalName(signal);
  const id = containerId(state.namespace, state.name);
  const [runscFile = runscPath, root = ''] = runscKill(runscPath, dirs.dir, id, 'KILL');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const pid = readInternalPid(pidFile);
    if (pid !== undefined) {
      const user = `--user=${SANDBOX_UID}:${SANDBOX_GID}`;
      const group = [runscFile, root, 'exec', user, '--cwd=/', id, '/bin/sh', '-c', SIGNAL_GROUP];
      await runsc([...group, 'paddock-signal', name.slice(3), String(pid)]).catch(() =>
        runsc(runscKill(runscPath, dirs.dir, id, name.slice(3), pid)).catch(() => ''),
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Where a background process (its directory under `procs/`) writes its output inside the
 * sandbox, having made its `stdout` and `stderr` there the sandbox user's (the directory stays
 * root's, so the sandbox can write those two files and nothing else of it); undefined for a
 * foreground exec, or a sandbox started before its bundle bound `procs/`.
 */
function backgroundOutput(dirs: SandboxDirs, fileDir: string): string | undefined {
  if (dirname(fileDir) !== dirs.procs) return undefined;
  if (!existsSync(join(gvisorPaths(dirs.dir).rootfs, PROCS_DIR))) return undefined;
  chmodSync(fileDir, 0o711);
  for (const name of ['stdout', 'stderr']) {
    closeSync(openSync(join(fileDir, name), 'a', 0o600));
    chownSync(join(fileDir, name), SANDBOX_UID, SANDBOX_GID);
  }
  return `${PROCS_DIR}/${basename(fileDir)}`;
}

/**
 * `runsc exec` hands its stdio to the sandbox, which takes them over (their owner becomes the
 * overflow uid 65534): a background process's `runsc exec` gets a pipe and a file of its own,
 * whose words (runsc's errors) are added to the process's stderr once it ends, unless a
 * checkpoint ended it (`HELD_FILE`: the process runs on after the restore).
 */
function apartFromOutput(exec: Argv, processDir: string): Argv {
  const script = [
    'dir=$1; shift; : | "$@" >"$dir/runsc.out" 2>&1; code=$?',
    `[ -e "$dir/${HELD_FILE}" ] || cat -- "$dir/runsc.out" >&2`,
    'rm -f -- "$dir/runsc.out"; exit "$code"',
  ].join('; ');
  return {
    file: '/bin/sh',
    args: ['-c', script, 'paddock-runsc', processDir, exec.file, ...exec.args],
  };
}

/**
 * A `runsc exec` of `command`: its process description (environment included) goes to a
 * root-only file rather than the command line; signals go through `runsc kill --pid`.
 */
export function gvisorExec(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
  request: {
    command: readonly string[];
    env: Record<string, string>;
    cwd: string;
    tty: boolean;
    fileDir: string;
    fileName: string;
  },
): GvisorExec {
  const id = containerId(state.namespace, state.name);
  const processFile = join(request.fileDir, `${request.fileName}.process.json`);
  const pidFile = join(request.fileDir, `${request.fileName}.pid`);
  const outputDir = backgroundOutput(dirs, request.fileDir);
  writeFileSync(
    processFile,
    JSON.stringify(ociProcess(request.command, request.env, request.cwd, request.tty, outputDir)),
    { mode: 0o600 },
  );
  const [runsc = runscPath, root = ''] = runscKill(runscPath, dirs.dir, id, 'KILL');
  // runsc exec makes each process lead its own process group; `runsc kill --pid` reaches only
  // the leader, and a child left alive would hold the output open.
  const killGroup = 'kill -9 -"$1" "$1"';
  const exec = runscExec(runscPath, dirs.dir, id, processFile, pidFile);
  return {
    argv: outputDir === undefined ? exec : apartFromOutput(exec, request.fileDir),
    processFile,
    pidFile,
    signal: (_hostPid, signal) => signalGvisorProcess(dirs, state, runscPath, pidFile, signal),
    // Its stdio are pipes: runsc exec hands them to the sandbox's user, and the supervisor that
    // runs this at the timeout has the host's /dev/null as its own.
    killAtTimeout: (bash) => ({
      file: bash,
      args: [
        '--norc',
        '-c',
        'pid=$(cat "$1") || exit 1; : | "$2" "$3" exec --user="$5" --cwd=/ "$4" /bin/sh -c "$6" paddock-kill "$pid" 2>&1 | cat >/dev/null',
        'paddock-kill',
        pidFile,
        runsc,
        root,
        id,
        `${SANDBOX_UID}:${SANDBOX_GID}`,
        killGroup,
      ],
    }),
  };
}
