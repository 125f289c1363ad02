/**
 * A plain command's stdout mapped onto the transcript (kind `command`). A program that already
 * speaks the transcript can: lines that parse as transcript events pass through (its own
 * `run.finished` decides the outcome, unless it claims success and exits non-zero). Any other line
 * is output: a `message.delta`. Exit 0 means succeeded, with the last `message.assistant` text as
 * the result, else the end of the output; any other exit means failed.
 */
import {
  EMPTY_USAGE,
  parseTranscriptLine,
  RunOutcome,
  type RunUsage,
  type TranscriptEvent,
  type TranscriptEventInput,
  TranscriptEventType,
} from '@paddock/core';
import {
  type CliExit,
  describeExit,
  type EventMapper,
  type Finish,
  jsonObject,
} from './event-mapper.ts';

/** The end of the plain output kept as a result. */
const MAX_RESULT_CHARS = 16_000;

type RunFinished = Extract<TranscriptEvent, { type: 'run.finished' }>;

function tryTranscriptEvent(line: string): TranscriptEvent | undefined {
  if (jsonObject(line) === undefined) return undefined;
  try {
    return parseTranscriptLine(line);
  } catch {
    return undefined;
  }
}

/** The event without its envelope (`v`, `ts`, `seq`): the writer stamps it again. */
function withoutEnvelope(event: TranscriptEvent): TranscriptEventInput {
  const { v: _v, ts: _ts, seq: _seq, ...input } = event;
  // Dropping the envelope keeps each variant's own fields: the union still holds.
  return input as TranscriptEventInput;
}

export class CommandEvents implements EventMapper {
  #finished: RunFinished | undefined;
  #lastAssistant: string | undefined;
  #output = '';
  #usage: RunUsage = EMPTY_USAGE;

  get usage(): RunUsage {
    return this.#usage;
  }

  mapLine(line: string): TranscriptEventInput[] {
    const event = tryTranscriptEvent(line);
    if (event === undefined) {
      this.#output = `${this.#output}${line}\n`.slice(-MAX_RESULT_CHARS);
      return line.trim() === ''
        ? []
        : [{ type: TranscriptEventType.AssistantDelta, text: `${line}\n` }];
    }
    switch (event.type) {
      case TranscriptEventType.RunFinished:
        this.#finished = event;
        this.#usage = event.usage;
        return [];
      case TranscriptEventType.Usage:
        this.#usage = event.usage;
        break;
      case TranscriptEventType.AssistantMessage:
        this.#lastAssistant = event.text;
        break;
    }
    return [withoutEnvelope(event)];
  }

  finish(exit: CliExit): Finish {
    const finished = this.#finished;
    const hasFailed = exit.code !== 0;
    if (finished !== undefined && !(hasFailed && finished.outcome === RunOutcome.Succeeded)) {
      return {
        outcome: finished.outcome,
        ...(finished.limit ? { limit: finished.limit } : {}),
        ...(finished.result === undefined ? {} : { result: finished.result }),
        ...(finished.message === undefined ? {} : { message: finished.message }),
        usage: finished.usage,
      };
    }
    if (hasFailed) {
      return {
        outcome: RunOutcome.Failed,
        message: `the command failed (${describeExit(exit)})`,
        usage: this.#usage,
      };
    }
    const result = this.#lastAssistant ?? this.#output.trim();
    return {
      outcome: RunOutcome.Succeeded,
      ...(result === '' ? {} : { result }),
      usage: this.#usage,
    };
  }
}
