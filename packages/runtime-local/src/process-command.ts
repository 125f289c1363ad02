import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { egressWrap, isAllowlist } from './egress-manager.ts';
import { baseEnv } from './exec-request.ts';
import { gvisorExec, isGvisor } from './gvisor-sandbox.ts';
import { type Argv, enterCommand, envFileContent, type HostBinaries } from './host-commands.ts';
import { type DefaultLimits, resolveLimits, rlimitsOf } from './resource-limits.ts';
import { cgroupJoinFiles } from './sandbox-cgroups.ts';
import { ensureDir, hostnameOf, type SandboxDirs, type SandboxState } from './sandbox-state.ts';

/** A host command ready to run a process in a sandbox, and what to do around it. */
export type Prepared = {
  argv: Argv;
  /** How to signal the command (default: the host helper's child). */
  signal?: (hostPid: number, signal: string) => Promise<void>;
  /** Removes the files written for it, once it has ended. */
  cleanup: () => void;
  /** What kills the command and its children inside at the timeout (default: the host group). */
  onTimeout?: { file: string; args: string[] };
  /** The chain reports a death by signal n as exit code `128 + n` (gVisor). */
  reportsSignalsAsCodes?: boolean;
};

export type ProcessContext = {
  bin: HostBinaries;
  /** Paddock runs as root (exec'd commands become the sandbox user inside). */
  isPrivileged: boolean;
  /** The compiled seccomp program every exec'd command runs under. */
  seccompFile?: string;
  defaults: DefaultLimits;
  /** runsc's path; throws `runtime_unavailable` without it. */
  runsc: () => string;
};

/**
 * The host command that runs `command` in the sandbox with its full environment (base, the
 * template's, the provision's, egress, the request's): the host helper into a bwrap sandbox, or
 * `runsc exec` into a gVisor one. The environment travels in a root-only file, never argv.
 */
export function prepareProcess(
  context: ProcessContext,
  dirs: SandboxDirs,
  state: SandboxState,
  command: string[],
  cwd: string,
  env: Record<string, string>,
  options: {
    tty: boolean;
    withEgress?: boolean;
    processDir?: string;
    /**
     * The command runs on a pooled helper (`spawnPiped` with `helpers`): its environment goes
     * on the helper's request descriptor, so no file is written and removed on its path.
     */
    isPooled?: boolean;
  },
): Prepared {
  let full: Record<string, string> = {
    ...baseEnv(hostnameOf(state), options.tty),
    ...Object.fromEntries((state.spec.env ?? []).map((e) => [e.name, e.value])),
    ...state.env,
  };
  let argv = command;
  if (options.withEgress !== false && isAllowlist(state))
    ({ command: argv, env: full } = egressWrap(command, full));
  full = { ...full, ...env };
  const common = {
    bin: context.bin,
    anchorPid: state.incarnation?.anchor.pid ?? 0,
    procs: cgroupJoinFiles(state.limits.cgroups, state.limits.mechanism),
    rlimits:
      state.limits.mechanism === 'rlimit'
        ? rlimitsOf(resolveLimits(state.spec.resources, context.defaults))
        : [],
    cwd,
    isPrivileged: context.isPrivileged,
    ...(context.isPrivileged ? { stdioOwner: state.hostUid } : {}),
    ...(context.seccompFile === undefined ? {} : { seccompFile: context.seccompFile }),
    command: argv,
  };
  if (options.isPooled === true && !isGvisor(state)) {
    return { argv: enterCommand({ ...common, env: { pairs: full } }), cleanup: () => {} };
  }
  ensureDir(dirs.run, 0o700);
  const fileDir = options.processDir ?? dirs.run;
  const fileName = options.processDir === undefined ? randomBytes(8).toString('hex') : 'launch';
  if (isGvisor(state)) {
    const runsc = context.runsc();
    const exec = gvisorExec(dirs, state, runsc, {
      command: argv,
      env: full,
      cwd,
      tty: options.tty,
      fileDir,
      fileName,
    });
    return {
      argv: exec.argv,
      signal: exec.signal,
      cleanup: () => {
        rmSync(exec.processFile, { force: true });
        rmSync(exec.pidFile, { force: true });
      },
      onTimeout: exec.killAtTimeout(context.bin.bash),
      reportsSignalsAsCodes: true,
    };
  }
  const envFile = join(fileDir, `${fileName}.env`);
  writeFileSync(envFile, envFileContent(full), { mode: 0o600 });
  return {
    argv: enterCommand({ ...common, env: { file: envFile } }),
    cleanup: () => rmSync(envFile, { force: true }),
  };
}
