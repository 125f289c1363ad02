// Processes in a running sandbox: execs (piped, on a terminal or in the background), the plain
// execs of the files API and of port relays, and the sandbox's background processes.
import { join } from 'node:path';
import type { ExecRequest, ProcessHandle, SandboxRef } from '@paddock/core';
import { BackgroundProcesses, type BackgroundSignal } from './background-processes.ts';
import { guardDiskFull } from './disk-full.ts';
import { HOST_ENV, type PipedOptions, spawnPiped } from './exec.ts';
import { checkExecRequest } from './exec-request.ts';
import { isGvisor, signalGvisorProcess } from './gvisor-sandbox.ts';
import { superviseCommand } from './host-commands.ts';
import { type ProcessContext, prepareProcess } from './process-command.ts';
import { spawnTty } from './pty.ts';
import { type RuntimeHost, runningSandbox, runscOf } from './runtime-host.ts';
import { type SandboxDirs, type SandboxState, touchActivity } from './sandbox-state.ts';

export async function execInSandbox(
  host: RuntimeHost,
  ref: SandboxRef,
  request: ExecRequest,
): Promise<ProcessHandle> {
  const { cwd } = checkExecRequest(request);
  const { dirs, state } = await runningSandbox(host, ref);
  await touchActivity(dirs);
  const processes = processesOf(host, dirs, state);
  const timeoutMs =
    request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : undefined;
  const tty = request.tty === true;
  const prepare = (how: { processDir?: string; isPooled?: boolean }) =>
    prepareProcess(processContext(host), dirs, state, request.command, cwd, request.env ?? {}, {
      tty,
      ...how,
    });
  if (request.background) {
    const id = processes.allocateId(request.processId);
    const prepared = prepare({ processDir: processes.prepare(id) });
    return processes.start(
      id,
      request.command,
      {
        file: prepared.argv.file,
        args: prepared.argv.args,
        env: HOST_ENV,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(prepared.onTimeout === undefined ? {} : { onTimeout: prepared.onTimeout }),
      },
      (processDir) =>
        host.launcher.supervise(
          superviseCommand(host.bin, processDir, prepared.argv),
          `exec in sandbox ${ref.namespace}/${ref.name}`,
        ),
    );
  }
  const prepared = prepare({ isPooled: !tty });
  const options: PipedOptions = {
    onExit: () => {
      prepared.cleanup();
      void touchActivity(dirs);
    },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(prepared.signal === undefined ? {} : { signalCommand: prepared.signal }),
    ...(prepared.onTimeout === undefined ? {} : { onTimeout: prepared.onTimeout }),
    ...(prepared.reportsSignalsAsCodes ? { reportsSignalsAsCodes: true } : {}),
  };
  if (tty) {
    return spawnTty(prepared.argv, {
      ...options,
      ...(request.cols === undefined ? {} : { cols: request.cols }),
      ...(request.rows === undefined ? {} : { rows: request.rows }),
    });
  }
  return spawnPiped(prepared.argv, host.helpers, options);
}

/** A plain exec for the files API: no egress bridge. */
export async function execPiped(
  host: RuntimeHost,
  ref: SandboxRef,
  command: string[],
): Promise<ProcessHandle> {
  const what = `files of sandbox ${ref.namespace}/${ref.name}`;
  return guardDiskFull(
    what,
    () =>
      runningSandbox(host, ref).then(({ dirs, state }) => spawnPlain(host, dirs, state, command)),
    host.reserve,
  );
}

export function spawnPlain(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
  command: string[],
): Promise<ProcessHandle> {
  const prepared = prepareProcess(
    processContext(host),
    dirs,
    state,
    command,
    '/',
    {},
    { tty: false, withEgress: false, isPooled: true },
  );
  return spawnPiped(prepared.argv, host.helpers, {
    onExit: prepared.cleanup,
    ...(prepared.signal === undefined ? {} : { signalCommand: prepared.signal }),
  });
}

function processContext(host: RuntimeHost): ProcessContext {
  return {
    bin: host.bin,
    isPrivileged: host.isPrivileged,
    seccompFile: host.seccompFile,
    defaults: host.defaults,
    runsc: () => runscOf(host),
  };
}

export function processesOf(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
): BackgroundProcesses {
  if (!isGvisor(state)) return new BackgroundProcesses(dirs.procs);
  const runsc = runscOf(host);
  const signal: BackgroundSignal = (processDir, _chainPid, name) =>
    signalGvisorProcess(dirs, state, runsc, join(processDir, 'launch.pid'), name);
  return new BackgroundProcesses(dirs.procs, signal, { reportsSignalsAsCodes: true });
}
