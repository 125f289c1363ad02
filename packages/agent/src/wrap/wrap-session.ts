/**
 * One wrapped CLI's transcript: feeds the CLI's stdout lines through its {@link EventMapper} into
 * a {@link TranscriptWriter}, turns its stderr into bounded `log` warnings, and writes the final
 * `run.finished`. Guarantees the transcript's shape whatever the CLI prints: `run.started` first
 * (a default one when the mapping gives none before its first event), then the prompt as
 * `message.user`, exactly one `run.started`, and `run.finished` last.
 */
import { RunOutcome, type TranscriptEventInput, TranscriptEventType } from '@paddock/core';
import type { Stop } from '../budget.ts';
import { TranscriptWriter } from '../transcript-writer.ts';
import { type CliExit, type EventMapper, truncate } from './event-mapper.ts';

/** Stderr lines logged before the rest is dropped (one `log` says so). */
export const MAX_STDERR_LINES = 200;
const MAX_STDERR_LINE_CHARS = 4_000;
/** Stderr lines quoted in the message of a run that failed without saying why. */
const STDERR_TAIL_LINES = 5;

export type SessionStart = {
  harness: string;
  model?: string;
  provider?: string;
  /** Shown as the first `message.user`. */
  prompt?: string;
  /** The run's mode in `run.started` (`task` unless said). */
  mode?: string;
};

export class WrapSession {
  readonly #writer: TranscriptWriter;
  readonly #mapper: EventMapper;
  readonly #start: SessionStart;
  #hasStarted = false;
  #stderrLines = 0;
  readonly #stderrTail: string[] = [];

  constructor(
    write: (line: string) => void,
    mapper: EventMapper,
    start: SessionStart,
    now?: () => Date,
  ) {
    this.#writer = new TranscriptWriter(write, now);
    this.#mapper = mapper;
    this.#start = start;
  }

  /** One line of the CLI's stdout (without its newline). */
  stdout(line: string): void {
    for (const event of this.#mapper.mapLine(line)) this.#emit(event);
  }

  /** One line of the CLI's stderr. */
  stderr(line: string): void {
    if (line.trim() === '') return;
    this.#stderrTail.push(line);
    if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
    this.#stderrLines++;
    if (this.#stderrLines > MAX_STDERR_LINES + 1) return;
    const message =
      this.#stderrLines > MAX_STDERR_LINES
        ? `stderr: more than ${MAX_STDERR_LINES} lines; the rest is not logged`
        : truncate(line, MAX_STDERR_LINE_CHARS);
    this.#emit({ type: TranscriptEventType.Log, level: 'warn', message });
  }

  /** A user message the wrapper passed on to the CLI (an interactive run's later input). */
  userMessage(text: string): void {
    this.#emit({ type: TranscriptEventType.UserMessage, text });
  }

  /** The transcript's writer, for input readers that report their own errors. */
  get writer(): TranscriptWriter {
    return this.#writer;
  }

  /** A failure of the wrapper itself (the CLI could not start, …), as an `error` event. */
  error(code: string, message: string): void {
    this.#emit({ type: TranscriptEventType.Error, code, message });
  }

  /**
   * Writes `run.finished`: the mapping's view of the CLI's exit, or `stop` when the run was
   * stopped from outside (a signal). Returns the outcome.
   */
  finish(exit: CliExit, stop?: Stop): RunOutcome {
    this.#ensureStarted();
    const finish = stop
      ? {
          outcome: stop.outcome,
          ...(stop.limit ? { limit: stop.limit } : {}),
          message: stop.message,
          usage: this.#mapper.usage,
        }
      : this.#mapper.finish(exit);
    const { message: said, ...rest } = finish;
    const tail = this.#stderrTail.join('\n');
    const message =
      finish.outcome === RunOutcome.Failed && tail !== ''
        ? `${said || 'failed'}; stderr: ${truncate(tail, 2_000)}`
        : said;
    this.#writer.emit({
      type: TranscriptEventType.RunFinished,
      ...rest,
      ...(message ? { message } : {}),
    });
    return finish.outcome;
  }

  #emit(event: TranscriptEventInput): void {
    if (event.type === TranscriptEventType.RunStarted) {
      if (this.#hasStarted) {
        this.#writer.emit({
          type: TranscriptEventType.Log,
          level: 'info',
          message: 'the harness started again',
          raw: event,
        });
        return;
      }
      this.#hasStarted = true;
      const { model, provider, mode } = this.#start;
      this.#writer.emit({
        ...(model === undefined ? {} : { model }),
        ...(provider === undefined ? {} : { provider }),
        ...event,
        ...(mode === undefined ? {} : { mode }),
      });
      this.#promptMessage();
      return;
    }
    this.#ensureStarted();
    this.#writer.emit(event);
  }

  #ensureStarted(): void {
    if (this.#hasStarted) return;
    const { harness, model, provider } = this.#start;
    this.#emit({
      type: TranscriptEventType.RunStarted,
      harness,
      ...(model === undefined ? {} : { model }),
      ...(provider === undefined ? {} : { provider }),
      mode: this.#start.mode ?? 'task',
    });
  }

  #promptMessage(): void {
    const { prompt } = this.#start;
    if (prompt !== undefined) {
      this.#writer.emit({ type: TranscriptEventType.UserMessage, text: prompt });
    }
  }
}
