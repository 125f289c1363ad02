/**
 * OpenCode's `opencode run --format json` lines mapped onto the transcript (as OpenCode 1.18.33
 * prints them: see the recorded runs in fixtures/, and runs-opencode.test.ts for the real CLI in a
 * sandbox):
 *
 * | OpenCode line | transcript |
 * |---|---|
 * | first `step_start` | `run.started` and a `log` with the session id; later ones: nothing |
 * | `text` | `message.assistant` |
 * | `reasoning` | `thinking` |
 * | `tool_use` (completed or error) | `tool.call` then `tool.result` |
 * | `step_finish` | `usage` (tokens and cost summed over steps) |
 * | `error` | `error`; the run fails with its message (`budget_exceeded` when the gateway refused a call over budget) |
 * | anything else | `log` with `raw` |
 */
import {
  EMPTY_USAGE,
  RunOutcome,
  type RunUsage,
  type TranscriptEventInput,
  TranscriptEventType,
} from '@paddock/core';
import { z } from 'zod';
import {
  amount,
  type CliExit,
  count,
  describeExit,
  type EventMapper,
  type Finish,
  readJsonLine,
  truncate,
} from './event-mapper.ts';

const MAX_TOOL_OUTPUT_CHARS = 64_000;

const ToolState = z.looseObject({
  status: z.string(),
  input: z.unknown().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  time: z.looseObject({ start: z.number(), end: z.number().optional() }).optional(),
});

const Line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('step_start'), sessionID: z.string().optional() }),
  z.looseObject({ type: z.literal('text'), part: z.looseObject({ text: z.string() }) }),
  z.looseObject({ type: z.literal('reasoning'), part: z.looseObject({ text: z.string() }) }),
  z.looseObject({
    type: z.literal('tool_use'),
    part: z.looseObject({
      id: z.string().optional(),
      callID: z.string().optional(),
      tool: z.string().min(1),
      state: ToolState,
    }),
  }),
  z.looseObject({
    type: z.literal('step_finish'),
    part: z.looseObject({
      reason: z.string().optional(),
      cost: z.number().optional(),
      tokens: z
        .looseObject({
          input: z.number().optional(),
          output: z.number().optional(),
          reasoning: z.number().optional(),
          cache: z
            .looseObject({ read: z.number().optional(), write: z.number().optional() })
            .optional(),
        })
        .optional(),
    }),
  }),
  z.looseObject({
    type: z.literal('error'),
    error: z
      .looseObject({
        name: z.string().optional(),
        message: z.string().optional(),
        data: z.looseObject({ message: z.string().optional() }).optional(),
      })
      .optional(),
  }),
]);

export class OpenCodeEvents implements EventMapper {
  #hasStarted = false;
  #usage: RunUsage = EMPTY_USAGE;
  #lastText: string | undefined;
  #failure: string | undefined;
  #isBudgetFailure = false;
  #calls = 0;
  #sessionId: string | undefined;

  get usage(): RunUsage {
    return this.#usage;
  }

  /** OpenCode's session (`opencode run --session` continues it). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  mapLine(text: string): TranscriptEventInput[] {
    const read = readJsonLine(text, Line, 'opencode');
    if ('events' in read) return read.events;
    const { line } = read;
    switch (line.type) {
      case 'step_start':
        if (this.#hasStarted) return [];
        this.#hasStarted = true;
        this.#sessionId = line.sessionID;
        return [
          { type: TranscriptEventType.RunStarted, harness: 'opencode', mode: 'task' },
          {
            type: TranscriptEventType.Log,
            level: 'info',
            message: `opencode session ${line.sessionID ?? ''}`.trim(),
          },
        ];
      case 'text':
        this.#lastText = line.part.text;
        return [{ type: TranscriptEventType.AssistantMessage, text: line.part.text }];
      case 'reasoning':
        return [{ type: TranscriptEventType.Thinking, text: line.part.text }];
      case 'tool_use': {
        const { part } = line;
        const id = part.callID ?? part.id ?? `opencode-call-${++this.#calls}`;
        const { state } = part;
        const isError = state.status === 'error';
        const time = state.time;
        this.#usage = { ...this.#usage, toolCalls: this.#usage.toolCalls + 1 };
        return [
          { type: TranscriptEventType.ToolCall, id, name: part.tool, input: state.input ?? {} },
          {
            type: TranscriptEventType.ToolResult,
            id,
            name: part.tool,
            output: truncate((isError ? state.error : state.output) ?? '', MAX_TOOL_OUTPUT_CHARS),
            isError,
            ...(time?.end === undefined ? {} : { durationMs: Math.max(0, time.end - time.start) }),
          },
        ];
      }
      case 'step_finish': {
        const tokens = line.part.tokens;
        this.#usage = {
          ...this.#usage,
          inputTokens:
            this.#usage.inputTokens +
            count(tokens?.input) +
            count(tokens?.cache?.read) +
            count(tokens?.cache?.write),
          outputTokens: this.#usage.outputTokens + count(tokens?.output) + count(tokens?.reasoning),
          costUsd: this.#usage.costUsd + amount(line.part.cost),
          turns: this.#usage.turns + 1,
        };
        return [{ type: TranscriptEventType.Usage, usage: this.#usage }];
      }
      case 'error': {
        const error = line.error;
        const message = error?.data?.message ?? error?.message ?? error?.name ?? 'error';
        this.#failure = message;
        // The gateway refuses a call over budget with an error of type budget_exceeded (402).
        this.#isBudgetFailure = /budget_exceeded/.test(JSON.stringify(error ?? {}));
        return [
          { type: TranscriptEventType.Error, code: error?.name ?? 'opencode_error', message },
        ];
      }
    }
  }

  finish(exit: CliExit): Finish {
    const usage = this.#usage;
    if (this.#failure !== undefined) {
      const outcome = this.#isBudgetFailure ? RunOutcome.BudgetExceeded : RunOutcome.Failed;
      return { outcome, message: truncate(this.#failure, 2_000), usage };
    }
    if (exit.code !== 0) {
      return {
        outcome: RunOutcome.Failed,
        message: `opencode failed (${describeExit(exit)})`,
        usage,
      };
    }
    const result = this.#lastText;
    return { outcome: RunOutcome.Succeeded, ...(result === undefined ? {} : { result }), usage };
  }
}
