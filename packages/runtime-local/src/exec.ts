import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { ErrorCode, type ExitStatus, PaddockError, type ProcessHandle } from '@paddock/core';
import type { HelperPool } from './helper-pool.ts';
import type { Argv } from './host-commands.ts';
import {
  exitStatusOf,
  killGroup,
  signalCommand,
  signalFromCode,
  signalName,
} from './process-signals.ts';

/** The environment of host-side helpers: nothing from Paddock's own environment leaks in. */
export const HOST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
};

export type PipedOptions = {
  timeoutMs?: number;
  /** Called once the process has ended (to record activity, remove files). */
  onExit?: (status: ExitStatus) => void;
  /** How to signal the command, given the spawned host pid (default: the host helper's child). */
  signalCommand?: (hostPid: number, signal: string) => Promise<void>;
  /** A host command that kills the command and its children inside at the timeout (gVisor). */
  onTimeout?: { file: string; args: string[] };
  /** The chain reports a death by signal n as exit code `128 + n` (runsc exec). */
  reportsSignalsAsCodes?: boolean;
};

function runHost(command: { file: string; args: string[] }): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, { env: HOST_ENV, stdio: 'ignore', cwd: '/' });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/**
 * Kills the command at its timeout: the command's own group inside (through the isolation's
 * kill path), then the chain's group on the host while the chain is still `isRunning` (the
 * spawned pid not yet reaped: a pid reaped may be another process's already).
 */
export function killAtTimeout(pid: number, options: PipedOptions, isRunning: () => boolean): void {
  const inside = options.onTimeout
    ? runHost(options.onTimeout)
    : (options.signalCommand ?? signalCommand)(pid, 'SIGKILL');
  void inside
    .catch(() => {})
    .finally(() => {
      if (isRunning()) killGroup(pid);
    });
}

/** Signals sent to one process, to read its exit status back (see `signalFromCode`). */
export class SentSignals {
  readonly #sent = new Set<string>();
  readonly #isNeeded: boolean;

  constructor(options: PipedOptions) {
    this.#isNeeded = options.reportsSignalsAsCodes === true;
  }

  add(signal: string): void {
    this.#sent.add(signalName(signal));
  }

  statusOf(code: number | null, signal: string | null, timedOut: boolean): ExitStatus {
    const status = exitStatusOf(code, signal, timedOut);
    return this.#isNeeded ? signalFromCode(status, this.#sent) : status;
  }
}

/**
 * Starts a host chain that enters the sandbox on one of `helpers`, with stdin, stdout and stderr
 * as pipes the command can reopen. The chain leads its own process group, so a timeout kills the
 * command and everything it forked.
 */
export async function spawnPiped(
  argv: Argv,
  helpers: HelperPool,
  options: PipedOptions = {},
): Promise<ProcessHandle> {
  const child = await helpers.take(argv);
  const { stdin, stdout, stderr, pid } = child;
  if (stdin === null || stdout === null || stderr === null || pid === undefined) {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `could not start ${argv.file}`);
  }
  let timedOut = false;
  const sent = new SentSignals(options);
  // Node reaps the chain and sets these in the same tick: until then its pid is still its own.
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          sent.add('SIGKILL');
          killAtTimeout(pid, options, isRunning);
        }, options.timeoutMs)
      : undefined;
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      helpers.refill();
      const status = sent.statusOf(code, signal, timedOut);
      options.onExit?.(status);
      resolve(status);
    });
  });
  // A write after the command exited is not an error worth crashing Paddock for.
  stdin.on('error', () => {});
  return {
    id: randomUUID(),
    stdin: Writable.toWeb(stdin) as WritableStream<Uint8Array>,
    stdout: Readable.toWeb(stdout) as ReadableStream<Uint8Array>,
    stderr: Readable.toWeb(stderr) as ReadableStream<Uint8Array>,
    resize: async () => {},
    signal: async (signal) => {
      sent.add(signal);
      // Once the chain has ended, its pid (and its child's) may be another process's.
      if (isRunning()) await (options.signalCommand ?? signalCommand)(pid, signal);
    },
    exit,
  };
}
