import {
  type RunOutcome,
  type RunUsage,
  type TranscriptEvent,
  TranscriptEventType,
} from '@paddock/core';
import { MarkdownLines } from './markdown.ts';
import { formatOutcome, formatTokens } from './outcome.ts';
import { createStyle, type Style } from './style.ts';
import { formatDuration, formatToolCall, formatToolResult } from './tool-line.ts';

export type RendererOptions = {
  /** ANSI colour and Markdown rendering (a terminal without NO_COLOR); plain text otherwise. */
  isColor: boolean;
  /** Show every model call, info logs and whole reasoning. */
  isVerbose: boolean;
};

/** What the run is doing after the last event: a spinner can say so while nothing prints. */
export type Activity =
  | { type: 'model' }
  | { type: 'tool'; name: string }
  /** The turn is over (an interactive run now waits for a message), or the run is. */
  | { type: 'idle' };

/** The phase each outcome of `run.finished` puts the run in. */
export const OUTCOME_PHASE = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  budget_exceeded: 'BudgetExceeded',
  timed_out: 'TimedOut',
} as const satisfies Record<RunOutcome, string>;

/**
 * Turns transcript events, one at a time, into text for people. Pure: it prints nothing itself.
 * Assistant text is streamed from `message.delta` (line by line when Markdown is rendered) and
 * the `message.assistant` that follows is not printed again; each tool call is one line and its
 * result another; model calls show only when verbose; the run ends with its outcome and usage.
 */
export class TranscriptRenderer {
  readonly #style: Style;
  readonly #isVerbose: boolean;
  readonly #markdown: MarkdownLines;
  /** Text of the streaming assistant message not printed yet (colour mode: a partial line). */
  #pending = '';
  /** Deltas came since the last `message.assistant`, which then repeats them. */
  #isStreaming = false;
  /** Plain mode prints deltas as they come: whether the output stopped mid-line. */
  #isMidLine = false;
  readonly #runningTools = new Map<string, string>();
  #activity: Activity = { type: 'model' };
  #usage: RunUsage | undefined;
  #finished: Extract<TranscriptEvent, { type: 'run.finished' }> | undefined;

  constructor(options: RendererOptions) {
    this.#style = createStyle(options.isColor);
    this.#isVerbose = options.isVerbose;
    this.#markdown = new MarkdownLines(this.#style);
  }

  get activity(): Activity {
    return this.#activity;
  }

  /** The latest running totals (from `usage` or `run.finished`). */
  get usage(): RunUsage | undefined {
    return this.#usage;
  }

  /** The `run.finished` event, once seen. */
  get finished(): Extract<TranscriptEvent, { type: 'run.finished' }> | undefined {
    return this.#finished;
  }

  /** The text to print for one event (often empty). */
  push(event: TranscriptEvent): string {
    const style = this.#style;
    switch (event.type) {
      case TranscriptEventType.RunStarted: {
        this.#activity = { type: 'model' };
        const model = [event.provider, event.model].filter(Boolean).join('/');
        const parts = [event.harness, model, event.mode].filter((p) => p !== undefined && p !== '');
        return this.#line(style.dim(`● ${parts.join(' · ')}`));
      }
      case TranscriptEventType.UserMessage: {
        this.#activity = { type: 'model' };
        const [first = '', ...rest] = event.text.split('\n');
        const body = [first, ...rest.map((line) => `  ${line}`)].join('\n');
        return this.#line(`${style.bold(style.cyan('›'))} ${body}`);
      }
      case TranscriptEventType.AssistantDelta:
        this.#activity = { type: 'model' };
        return this.#delta(event.text);
      case TranscriptEventType.AssistantMessage: {
        this.#activity =
          event.stopReason === 'tool_use' || event.stopReason === 'tool_calls'
            ? { type: 'model' }
            : { type: 'idle' };
        if (this.#isStreaming) {
          this.#isStreaming = false;
          return this.flush();
        }
        if (event.text === '') return '';
        return this.flush() + this.#renderText(event.text);
      }
      case TranscriptEventType.Thinking: {
        const text = this.#isVerbose ? event.text : firstLine(event.text);
        return this.#line(style.dim(style.italic(`✻ ${text}`)));
      }
      case TranscriptEventType.ToolCall:
        this.#runningTools.set(event.id, event.name);
        this.#activity = { type: 'tool', name: event.name };
        return this.flush() + formatToolCall(event.name, event.input, style);
      case TranscriptEventType.ToolResult: {
        this.#runningTools.delete(event.id);
        const [next] = this.#runningTools.values();
        this.#activity = next === undefined ? { type: 'model' } : { type: 'tool', name: next };
        return this.flush() + formatToolResult(event, style);
      }
      case TranscriptEventType.LlmCall: {
        if (event.error) {
          return this.#line(
            style.yellow(
              `! model call failed (${event.status}): ${event.error.code}: ${event.error.message}`,
            ),
          );
        }
        if (!this.#isVerbose) return '';
        const tokens = `${formatTokens(event.inputTokens)} in / ${formatTokens(event.outputTokens)} out`;
        const took = formatDuration(event.latencyMs);
        return this.#line(
          style.dim(
            `  · ${event.provider}/${event.model}  ${tokens}  ${took}  $${event.costUsd.toFixed(4)}`,
          ),
        );
      }
      case TranscriptEventType.Usage:
        this.#usage = event.usage;
        return '';
      case TranscriptEventType.Log:
        switch (event.level) {
          case 'error':
            return this.#line(style.red(`! ${event.message}`));
          case 'warn':
            return this.#line(style.yellow(`! ${event.message}`));
          case 'info':
          case 'debug':
            return this.#isVerbose ? this.#line(style.dim(event.message)) : '';
          default: {
            const unhandled: never = event.level;
            throw new Error(`unknown log level ${String(unhandled)}`);
          }
        }
      case TranscriptEventType.Error:
        return this.#line(style.red(`✗ ${event.code}: ${event.message}`));
      case TranscriptEventType.RunFinished: {
        this.#finished = event;
        this.#usage = event.usage;
        this.#activity = { type: 'idle' };
        const phase = OUTCOME_PHASE[event.outcome];
        const why =
          event.limit === undefined
            ? event.message
            : `budget limit ${event.limit} reached${event.message ? `: ${event.message}` : ''}`;
        return `${this.flush()}\n${formatOutcome({ phase, usage: event.usage, message: why }, style)}`;
      }
      default: {
        const unhandled: never = event;
        throw new Error(`unknown transcript event ${JSON.stringify(unhandled)}`);
      }
    }
  }

  /** Whatever is held back (a partial line of assistant text), ending the line. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? this.#closeLine() : this.#renderText(rest);
  }

  #delta(text: string): string {
    this.#isStreaming = true;
    if (!this.#style.isColor) {
      if (text === '') return '';
      this.#isMidLine = !text.endsWith('\n');
      return text;
    }
    this.#pending += text;
    const end = this.#pending.lastIndexOf('\n');
    if (end === -1) return '';
    const complete = this.#pending.slice(0, end);
    this.#pending = this.#pending.slice(end + 1);
    return this.#renderText(complete);
  }

  /** Lines of assistant text through the Markdown renderer, each ending with a newline. */
  #renderText(text: string): string {
    return text
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `${this.#markdown.render(line)}\n`)
      .join('');
  }

  #closeLine(): string {
    if (!this.#isMidLine) return '';
    this.#isMidLine = false;
    return '\n';
  }

  #line(text: string): string {
    return `${this.flush()}${text}\n`;
  }
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 100 || text.trim().includes('\n') ? `${line.slice(0, 99)}…` : line;
}
