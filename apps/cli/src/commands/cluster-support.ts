// What the `paddock cluster …` and `paddock app …` commands share: the environment of the
// lifecycle (home, runner, progress printed step by step), the cluster a command is about, and
// the answer of a command that waits for another part of issue 20.
import { ErrorCode, isDuration, PaddockError, parseDurationMs } from '@paddock/core';
import {
  type ClusterEnv,
  ClusterName,
  formatStep,
  listSessions,
  paddockHome,
  processRunner,
  readSession,
  type Session,
} from '@paddock/gitops';
import { usageError } from '../cli-options.ts';
import type { CommandContext } from '../command.ts';
import { type Progress, startProgress } from '../progress.ts';

export const CLI_VERSION = '0.1.0';
export const DEFAULT_CLUSTER = 'paddock';

/** Where Paddock keeps its state: `--home`, else PADDOCK_HOME of the CLI's environment, else ~/.paddock. */
export function homeOf({ invocation, env }: CommandContext): string {
  return invocation.flags.home ?? paddockHome(env);
}

/** The lifecycle's environment: real tools; each step printed with its duration, a spinner while it runs. */
export function clusterEnv(context: CommandContext): ClusterEnv {
  const { io } = context;
  let spinner: Progress | undefined;
  return {
    home: homeOf(context),
    runner: processRunner(),
    version: CLI_VERSION,
    progress: (event) => {
      if (event.type === 'start') {
        spinner?.stop();
        spinner = startProgress(io.stderr, io.isInteractive, `${event.step}…`);
        return;
      }
      if (event.type === 'progress') {
        // The step goes on: its spinner stops for the line and starts again after it.
        spinner?.stop();
        io.stdout(`${formatStep(event)}\n`);
        spinner = startProgress(io.stderr, io.isInteractive, `${event.step}…`);
        return;
      }
      if (event.type !== 'skipped') {
        spinner?.stop();
        spinner = undefined;
      }
      const line = formatStep(event);
      if (line !== undefined) io.stdout(`${line}\n`);
    },
  };
}

/** The one positional NAME (default `paddock`), checked as a cluster name. */
export function nameArg(
  { args }: CommandContext,
  command: string,
  options: { max?: number } = {},
): string {
  if (args.length > (options.max ?? 1)) {
    throw usageError([{ path: args[1] ?? '', message: `${command} takes one NAME` }]);
  }
  const name = args[0] ?? DEFAULT_CLUSTER;
  const parsed = ClusterName.safeParse(name);
  if (!parsed.success)
    throw usageError([{ path: 'NAME', message: parsed.error.issues[0]?.message ?? 'invalid' }]);
  return name;
}

/**
 * The cluster an `app` command is about: `--cluster-name`, else `PADDOCK_CLUSTER`, else the only
 * cluster there is.
 */
export function targetCluster(context: CommandContext): Session {
  const home = homeOf(context);
  const named = context.invocation.flags['cluster-name'] ?? context.env.PADDOCK_CLUSTER;
  if (named !== undefined) return readSession(home, named);
  const all = listSessions(home);
  if (all.length === 1 && all[0] !== undefined) return all[0];
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    all.length === 0
      ? 'no cluster yet: paddock cluster create makes one'
      : `${all.length} clusters: say which with --cluster-name NAME (or PADDOCK_CLUSTER)`,
    { issues: [{ path: '--cluster-name', message: 'needed' }] },
  );
}

/** The error of a command whose part of issue 20 has not landed yet. */
export function notYet(command: string, needs: string): PaddockError {
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `${command} is not available yet: it needs ${needs} (issue 20)`,
    { hint: 'paddock cluster --help lists what works today' },
  );
}

export function timeoutMsOf({ invocation }: CommandContext, fallbackMs: number): number {
  const text = invocation.flags.timeout;
  if (text === undefined) return fallbackMs;
  if (!isDuration(text)) {
    throw usageError([{ path: '--timeout', message: 'must be a duration such as 5m or 90s' }]);
  }
  return parseDurationMs(text);
}
