/**
 * Runs one external CLI under a {@link WrapSession} (see wrap-process.ts for its process) and ends
 * the transcript once it is done. An interactive run's later messages reach Claude Code on its
 * stdin (wrap-input.ts) and Codex and OpenCode in a process of their own each, resuming their
 * session (wrap-resume.ts); a command reads the inbox itself. A CLI that is not installed fails
 * the run saying so.
 */
import { ErrorCode, HarnessKind, RunOutcome } from '@paddock/core';
import type { RunStopper } from '../run-stopper.ts';
import { ClaudeCodeEvents } from './claude-code-events.ts';
import { claudeCodeUserLine, cliLaunch } from './cli-launch.ts';
import { CodexEvents } from './codex-events.ts';
import { CommandEvents } from './command-events.ts';
import type { EventMapper } from './event-mapper.ts';
import { skipOpenCodeDependencyInstall } from './opencode-dependencies.ts';
import { OpenCodeEvents } from './opencode-events.ts';
import type { WrapArgs, WrapKind } from './wrap-args.ts';
import { type ProcessIo, runCliProcess } from './wrap-process.ts';
import { resumeSteps } from './wrap-resume.ts';
import { WrapSession } from './wrap-session.ts';

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

/** The kinds that take an interactive run's later messages in a process of their own each. */
const resumingKinds: ReadonlySet<WrapKind> = new Set([HarnessKind.Codex, HarnessKind.OpenCode]);

/** Runs the CLI of `args` to its end; returns the run's outcome (written as `run.finished`). */
export async function runWrapped(
  args: WrapArgs,
  prompt: string | undefined,
  io: WrapIo,
): Promise<RunOutcome> {
  const env = io.env ?? process.env;
  const provider = providers[args.kind] ?? args.provider;
  const isInteractive = args.inbox !== undefined;
  const mapper = mapperFor(args.kind);
  const session = new WrapSession(io.write, mapper, {
    harness: args.kind,
    ...(args.model === undefined ? {} : { model: args.model }),
    ...(provider === undefined ? {} : { provider }),
    ...(prompt === undefined || args.kind === HarnessKind.Command ? {} : { prompt }),
    ...(isInteractive ? { mode: 'interactive' } : {}),
  });
  const launch = cliLaunch(args, prompt, env);
  if ('reason' in launch) {
    session.error(ErrorCode.RuntimeUnavailable, launch.reason);
    return session.finish(
      { code: null, signal: null },
      { outcome: RunOutcome.Failed, message: launch.reason },
    );
  }
  if (args.kind === HarnessKind.OpenCode) await skipOpenCodeDependencyInstall(env);
  const processIo: ProcessIo = {
    stopper: io.stopper,
    ...(io.kill === undefined ? {} : { kill: io.kill }),
    env,
    cwd: io.cwd ?? process.cwd(),
  };
  const inbox = args.inbox;
  let exit = await runCliProcess(
    launch,
    session,
    processIo,
    inbox === undefined ? undefined : { inbox, line: claudeCodeUserLine },
  );
  if (inbox !== undefined && resumingKinds.has(args.kind)) {
    exit = await resumeSteps(
      {
        inbox,
        session,
        mapper,
        launch: (text, sessionId) => cliLaunch(args, text, env, sessionId),
        run: (next) => runCliProcess(next, session, processIo),
        stop: io.stopper.signal,
      },
      exit,
    );
  }
  return session.finish(exit, io.stopper.stop);
}
