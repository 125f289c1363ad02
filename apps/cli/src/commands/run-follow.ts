import { createInterface } from 'node:readline';
import { isTerminalRunPhase } from '@paddock/client';
import { TranscriptEventType } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { CommandContext } from '../command.ts';
import { shouldColor } from '../exit-codes.ts';
import { type Progress, startProgress } from '../progress.ts';
import { formatOutcome } from '../transcript/outcome.ts';
import { type Activity, OUTCOME_PHASE, TranscriptRenderer } from '../transcript/renderer.ts';
import { createStyle } from '../transcript/style.ts';

export type FollowOptions = {
  /** After each assistant turn, read a line from stdin and send it (Ctrl-D stops following). */
  isInteractive: boolean;
  isVerbose: boolean;
  /** Ctrl-C cancels the run (`paddock run`) instead of only ending the follow (`run logs`). */
  isCancelledByInterrupt: boolean;
};

export type FollowEnd =
  /** The run is over (`phase` is its outcome). */
  | { type: 'finished'; phase: string }
  /** Ctrl-C or SIGTERM: the run was cancelled when `isCancelledByInterrupt`. */
  | { type: 'interrupted' };

function activityText(activity: Activity, hasStarted: boolean): string | undefined {
  switch (activity.type) {
    case 'model':
      return hasStarted ? 'waiting for the model…' : 'starting the run…';
    case 'tool':
      return `running ${activity.name}…`;
    case 'idle':
      return undefined;
    default: {
      const unhandled: never = activity;
      throw new Error(`unknown activity ${String(unhandled)}`);
    }
  }
}

/** A spinner on stderr while nothing prints; hidden before anything is written. */
function spinnerOn(context: CommandContext, isEnabled: boolean) {
  let progress: Progress | undefined;
  return {
    show(text: string | undefined) {
      if (!isEnabled || text === undefined) return this.hide();
      if (progress) progress.update(text);
      else progress = startProgress(context.io.stderr, true, text);
    },
    hide() {
      progress?.stop();
      progress = undefined;
    },
  };
}

/**
 * Prints a run's transcript as it is written (rendered for people, or `-o json`: one event per
 * line) until the run ends, the user interrupts, or (interactive) ends their input.
 */
export async function followRun(
  context: CommandContext,
  name: string,
  options: FollowOptions,
): Promise<FollowEnd> {
  const { client, io, settings } = context;
  const scope = { namespace: settings.namespace };
  const isJson = settings.output === OutputFormat.Json;
  const isColor = shouldColor(process.stdout, context.env);
  const renderer = new TranscriptRenderer({ isColor, isVerbose: options.isVerbose });
  // Plain text may stop mid-line on the terminal, where a spinner would overwrite it.
  const spinner = spinnerOn(
    context,
    io.isInteractive && !isJson && (isColor || process.stdout.isTTY !== true),
  );
  const stop = new AbortController();
  let isInterrupted = false;
  const interrupt = () => {
    isInterrupted = true;
    stop.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let lines: StdinLines | undefined;
  let hasStarted = false;
  let hasEnded = false;
  try {
    spinner.show(activityText(renderer.activity, hasStarted));
    for await (const event of client.runs.follow(name, { ...scope, signal: stop.signal })) {
      spinner.hide();
      hasStarted = true;
      const text = renderer.push(event);
      io.stdout(isJson ? `${JSON.stringify(event)}\n` : text);
      const isTurnOver =
        event.type === TranscriptEventType.AssistantMessage &&
        renderer.activity.type === 'idle' &&
        renderer.finished === undefined;
      if (options.isInteractive && isTurnOver) {
        lines ??= openLines(interrupt);
        const message = hasEnded ? undefined : await nextMessage(lines, stop.signal, io.stderr);
        if (message === undefined) {
          if (stop.signal.aborted) break;
          // End of input: the harness finishes and the run succeeds; keep printing until then.
          if (!hasEnded) await client.runs.end(name, scope);
          hasEnded = true;
        } else {
          await client.runs.send(name, message, scope);
        }
      }
      spinner.show(activityText(renderer.activity, hasStarted));
    }
  } finally {
    spinner.hide();
    lines?.close();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (!isJson) io.stdout(renderer.flush());
  if (isInterrupted) {
    if (options.isCancelledByInterrupt) {
      await client.runs.cancel(name, scope);
      io.stderr(`run/${name} cancelled\n`);
    }
    return { type: 'interrupted' };
  }
  const run = await client.runs.get(name, scope);
  const finished = renderer.finished;
  const status = run.status;
  const phase = isTerminalRunPhase(status?.phase)
    ? status.phase
    : finished
      ? OUTCOME_PHASE[finished.outcome]
      : (status?.phase ?? 'Pending');
  if (!finished && !isJson) {
    const outcome = { phase, usage: status?.usage, message: status?.message };
    io.stdout(`\n${formatOutcome(outcome, createStyle(isColor))}`);
  }
  return { type: 'finished', phase };
}

/** stdin as lines; Ctrl-C at the prompt of a terminal is an interrupt, as anywhere else. */
function openLines(interrupt: () => void): StdinLines {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('SIGINT', interrupt);
  // One iterator for the whole run: it buffers lines typed (or piped) ahead of a prompt.
  return { iterator: lines[Symbol.asyncIterator](), close: () => lines.close() };
}

type StdinLines = { iterator: AsyncIterator<string>; close: () => void };

/** The next non-empty line, or undefined at the end of input (Ctrl-D) or on interrupt. */
async function nextMessage(
  { iterator }: StdinLines,
  signal: AbortSignal,
  prompt: (text: string) => void,
): Promise<string | undefined> {
  const aborted = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  while (!signal.aborted) {
    if (process.stdin.isTTY) prompt('› ');
    const next = await Promise.race([iterator.next(), aborted]);
    if (next === undefined || next.done) return undefined;
    const text = next.value.trim();
    if (text !== '') return text;
  }
  return undefined;
}
