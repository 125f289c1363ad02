/**
 * One process of a wrapped CLI: started in its own process group with its input on stdin (for a
 * streaming launch, the prompt and then the inbox's messages, see wrap-input.ts), its stdout and
 * stderr fed line by line into the {@link WrapSession}. A stop request (the stopper) sends SIGTERM
 * to the whole group, then SIGKILL after a grace period; `kill` sends SIGKILL at once. Leftover
 * processes of the group are killed once the CLI exits, so nothing outlives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ErrorCode } from '@paddock/core';
import type { RunStopper } from '../run-stopper.ts';
import type { CliLaunch } from './cli-launch.ts';
import type { CliExit } from './event-mapper.ts';
import { forwardInbox } from './wrap-input.ts';
import type { WrapSession } from './wrap-session.ts';

/** Between SIGTERM and SIGKILL when a run is stopped. */
const STOP_GRACE_MS = 10_000;
/** How long the output pipes may stay open after the CLI exited (a child that left the group). */
const DRAIN_MS = 5_000;

export type ProcessIo = {
  /** A stop request ends the CLI. */
  stopper: RunStopper;
  /** Aborted: kill the CLI now. */
  kill?: AbortSignal;
  /** The environment the CLI inherits (the launch's own is added). */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
};

/** Where a streaming launch's later messages come from, and how each is written to stdin. */
export type StreamingInput = { inbox: string; line: (text: string) => string };

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function lines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  reader.on('line', onLine);
  return new Promise((resolve) => reader.once('close', resolve));
}

/** Runs `launch` to its exit (`code` and `signal` null when it could not start: said in `session`). */
export async function runCliProcess(
  launch: CliLaunch,
  session: WrapSession,
  io: ProcessIo,
  streaming?: StreamingInput,
): Promise<CliExit> {
  let child: ChildProcess;
  try {
    child = spawn(launch.command, launch.args, {
      cwd: io.cwd,
      env: { ...io.env, ...launch.env },
      stdio: [launch.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (error) {
    session.error(ErrorCode.Internal, `cannot start ${launch.command}: ${String(error)}`);
    return { code: null, signal: null };
  }
  const exited = new Promise<CliExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code === 'ENOENT' ? ErrorCode.NotFound : ErrorCode.Internal;
      session.error(code, `cannot start ${launch.command}: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  const inputDone = new AbortController();
  let forwarding: Promise<void> | undefined;
  if (child.stdin) {
    child.stdin.on('error', () => {
      // The CLI closed its stdin early: it did not want the prompt there.
    });
    if (launch.isStreamingInput === true && streaming !== undefined) {
      child.stdin.write(launch.stdin ?? '');
      const { inbox, line } = streaming;
      forwarding = forwardInbox(inbox, child.stdin, session, line, inputDone.signal);
    } else {
      child.stdin.end(launch.stdin);
    }
  }
  const drained = Promise.all([
    child.stdout ? lines(child.stdout, (line) => session.stdout(line)) : undefined,
    child.stderr ? lines(child.stderr, (line) => session.stderr(line)) : undefined,
  ]);

  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = () => {
    signalGroup(child, 'SIGTERM');
    graceTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS);
    graceTimer.unref();
  };
  const onKill = () => signalGroup(child, 'SIGKILL');
  if (io.stopper.signal.aborted) onStop();
  else io.stopper.signal.addEventListener('abort', onStop, { once: true });
  if (io.kill?.aborted) onKill();
  else io.kill?.addEventListener('abort', onKill, { once: true });

  const exit = await exited;
  inputDone.abort();
  await forwarding;
  clearTimeout(graceTimer);
  io.stopper.signal.removeEventListener('abort', onStop);
  io.kill?.removeEventListener('abort', onKill);
  signalGroup(child, 'SIGKILL');
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    drained,
    new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, DRAIN_MS);
    }),
  ]);
  clearTimeout(drainTimer);
  child.stdout?.destroy();
  child.stderr?.destroy();
  return exit;
}
