/**
 * Runs one external CLI under a {@link WrapSession}: starts it in its own process group with the
 * prompt on stdin (an interactive run's later messages follow there, see wrap-input.ts), maps its
 * stdout and stderr line by line, and ends the transcript once it exited. A CLI that is not
 * installed, or a kind that takes no messages mid-run asked to, fails the run saying so.
 * A stop request (the stopper) sends SIGTERM to the whole group, then SIGKILL after a grace
 * period; `kill` sends SIGKILL at once. Leftover processes of the group are killed after the CLI
 * exits, so nothing outlives the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ErrorCode, HarnessKind, RunOutcome } from '@paddock/core';
import type { RunStopper } from '../run-stopper.ts';
import { ClaudeCodeEvents } from './claude-code-events.ts';
import { claudeCodeUserLine, cliLaunch } from './cli-launch.ts';
import { CodexEvents } from './codex-events.ts';
import { CommandEvents } from './command-events.ts';
import type { CliExit, EventMapper } from './event-mapper.ts';
import { OpenCodeEvents } from './opencode-events.ts';
import type { WrapArgs, WrapKind } from './wrap-args.ts';
import { forwardInbox } from './wrap-input.ts';
import { WrapSession } from './wrap-session.ts';

/** Between SIGTERM and SIGKILL when a run is stopped. */
const STOP_GRACE_MS = 10_000;
/** How long the output pipes may stay open after the CLI exited (a child that left the group). */
const DRAIN_MS = 5_000;

export type WrapIo = {
  /** Gets each transcript line, newline included. */
  write: (line: string) => void;
  /** A stop request ends the CLI; its outcome becomes the run's. */
  stopper: RunStopper;
  /** Aborted: kill the CLI now. */
  kill?: AbortSignal;
  /** The environment the CLI inherits (the process's own by default). */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
};

export function mapperFor(kind: WrapKind): EventMapper {
  switch (kind) {
    case HarnessKind.ClaudeCode:
      return new ClaudeCodeEvents();
    case HarnessKind.Codex:
      return new CodexEvents();
    case HarnessKind.OpenCode:
      return new OpenCodeEvents();
    case HarnessKind.Command:
      return new CommandEvents();
  }
}

const providers: Record<WrapKind, string | undefined> = {
  'claude-code': 'anthropic',
  codex: 'openai',
  opencode: undefined,
  command: undefined,
};

/**
 * The kinds whose CLI takes no user messages mid-run. Claude Code reads them on stdin; a command
 * is told the inbox's path (`PADDOCK_INBOX`) and reads it itself.
 */
const taskOnlyKinds: ReadonlySet<WrapKind> = new Set([HarnessKind.Codex, HarnessKind.OpenCode]);

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

/** Runs the CLI of `args` to its end; returns the run's outcome (written as `run.finished`). */
export async function runWrapped(
  args: WrapArgs,
  prompt: string | undefined,
  io: WrapIo,
): Promise<RunOutcome> {
  const env = io.env ?? process.env;
  const provider = providers[args.kind] ?? args.provider;
  const isInteractive = args.inbox !== undefined;
  const session = new WrapSession(io.write, mapperFor(args.kind), {
    harness: args.kind,
    ...(args.model === undefined ? {} : { model: args.model }),
    ...(provider === undefined ? {} : { provider }),
    ...(prompt === undefined || args.kind === HarnessKind.Command ? {} : { prompt }),
    ...(isInteractive ? { mode: 'interactive' } : {}),
  });
  if (isInteractive && taskOnlyKinds.has(args.kind)) {
    const message = `the ${args.kind} harness takes no messages mid-run: run it in task mode`;
    session.error(ErrorCode.ValidationFailed, message);
    return session.finish({ code: null, signal: null }, { outcome: RunOutcome.Failed, message });
  }
  const launch = cliLaunch(args, prompt, env);
  if ('reason' in launch) {
    session.error(ErrorCode.RuntimeUnavailable, launch.reason);
    return session.finish(
      { code: null, signal: null },
      { outcome: RunOutcome.Failed, message: launch.reason },
    );
  }
  let child: ChildProcess;
  try {
    child = spawn(launch.command, launch.args, {
      cwd: io.cwd ?? process.cwd(),
      env: { ...env, ...launch.env },
      stdio: [launch.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (error) {
    session.error(ErrorCode.Internal, `cannot start ${launch.command}: ${String(error)}`);
    return session.finish({ code: null, signal: null });
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
    if (launch.isStreamingInput === true && args.inbox !== undefined) {
      child.stdin.write(launch.stdin ?? '');
      forwarding = forwardInbox(
        args.inbox,
        child.stdin,
        session,
        claudeCodeUserLine,
        inputDone.signal,
      );
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
  return session.finish(exit, io.stopper.stop);
}
