import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { ErrorCode, type ExitStatus, PaddockError, type ProcessHandle } from '@paddock/core';
import type { Argv } from './host-commands.ts';
import { exitStatusOf, killGroup, signalCommand } from './process-signals.ts';

/** The environment of host-side helpers: nothing from Paddock's own environment leaks in. */
export const HOST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
};

export type PipedOptions = {
  timeoutMs?: number;
  /** Called once the process has ended (to record activity, remove files). */
  onExit?: (status: ExitStatus) => void;
  /** How to signal the command, given the spawned host pid (default: nsenter's child). */
  signalCommand?: (hostPid: number, signal: string) => Promise<void>;
};

/** Kills the command at its timeout: through the isolation's own signal path, then the group. */
export function killAtTimeout(pid: number, options: PipedOptions): void {
  if (options.signalCommand)
    void options.signalCommand(pid, 'SIGKILL').finally(() => killGroup(pid));
  else killGroup(pid);
}

/**
 * Spawns a host chain that enters the sandbox, with stdin, stdout and stderr as pipes. The
 * chain leads its own process group, so a timeout kills the command and everything it forked.
 */
export function spawnPiped(argv: Argv, options: PipedOptions = {}): ProcessHandle {
  const child = spawn(argv.file, argv.args, {
    env: HOST_ENV,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    cwd: '/',
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `could not start ${argv.file}`);
  }
  let timedOut = false;
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          killAtTimeout(pid, options);
        }, options.timeoutMs)
      : undefined;
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const status = exitStatusOf(code, signal, timedOut);
      options.onExit?.(status);
      resolve(status);
    });
  });
  // A write after the command exited is not an error worth crashing Paddock for.
  child.stdin.on('error', () => {});
  return {
    id: randomUUID(),
    stdin: Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
    stdout: Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
    stderr: Readable.toWeb(child.stderr) as ReadableStream<Uint8Array>,
    resize: async () => {},
    signal: (signal) => (options.signalCommand ?? signalCommand)(pid, signal),
    exit,
  };
}
