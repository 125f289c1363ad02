/**
 * Claude Code's `--output-format stream-json --verbose` lines mapped onto the transcript:
 *
 * | Claude Code line | transcript |
 * |---|---|
 * | `system` / `init` | `run.started` (model) and a `log` with the session id |
 * | other `system` lines (`api_retry`, `compact_boundary`, …) | `log` with `raw` |
 * | `assistant` text / thinking / tool_use blocks | `message.assistant` / `thinking` / `tool.call` |
 * | `user` tool_result blocks | `tool.result` (then `usage` with running totals) |
 * | `user` text | `message.user` |
 * | `stream_event` text deltas (`--include-partial-messages`) | `message.delta`; other stream events are dropped |
 * | `result` | `usage` (an interactive run's results, one per answer, are summed), and the run's end (the last result's): `success` → succeeded, `error_max_turns` → budget_exceeded (maxTurns), `error_max_budget_usd` → budget_exceeded (maxUsd), anything else → failed |
 * | anything else | `log` with `raw` |
 */
import {
  BudgetLimit,
  EMPTY_USAGE,
  RunOutcome,
  type RunUsage,
  type TranscriptEventInput,
  TranscriptEventType,
} from '@paddock/core';
import {
  type ApiUsage,
  ClaudeCodeLine,
  ContentBlock,
  inputTokensOf,
  type ResultLine,
  TextDelta,
  toolResultText,
} from './claude-code-lines.ts';
import {
  amount,
  type CliExit,
  count,
  describeExit,
  type EventMapper,
  type Finish,
  readJsonLine,
  truncate,
  unmapped,
} from './event-mapper.ts';

export const CLAUDE_CODE_HARNESS = 'claude-code';

/** Longest tool output kept in a `tool.result`. */
const MAX_TOOL_OUTPUT_CHARS = 64_000;

export class ClaudeCodeEvents implements EventMapper {
  readonly #toolNames = new Map<string, string>();
  /** Usage per model response (Claude Code repeats a response's usage on each of its blocks). */
  readonly #responses = new Map<string, ApiUsage>();
  #toolCalls = 0;
  #result: ResultLine | undefined;
  /**
   * The token and turn counts of the results before the last: an interactive run has one result
   * per answer, each counting that answer alone (its `total_cost_usd` is the session's).
   */
  #earlier = { inputTokens: 0, outputTokens: 0, turns: 0 };
  #lastReported = '';

  get usage(): RunUsage {
    const result = this.#result;
    if (result?.usage) {
      const earlier = this.#earlier;
      return {
        inputTokens: earlier.inputTokens + inputTokensOf(result.usage),
        outputTokens: earlier.outputTokens + count(result.usage.output_tokens),
        costUsd: amount(result.total_cost_usd),
        turns: earlier.turns + (count(result.num_turns) || this.#responses.size),
        toolCalls: this.#toolCalls,
      };
    }
    let usage = { ...EMPTY_USAGE, turns: this.#responses.size, toolCalls: this.#toolCalls };
    for (const response of this.#responses.values()) {
      usage = {
        ...usage,
        inputTokens: usage.inputTokens + inputTokensOf(response),
        outputTokens: usage.outputTokens + count(response.output_tokens),
      };
    }
    return usage;
  }

  mapLine(text: string): TranscriptEventInput[] {
    const read = readJsonLine(text, ClaudeCodeLine, 'claude-code');
    if ('events' in read) return read.events;
    const { line, value } = read;
    switch (line.type) {
      case 'system':
        return this.#system(line, value);
      case 'assistant':
        return this.#assistant(line);
      case 'user':
        return this.#user(line);
      case 'result':
        if (this.#result?.usage) {
          const { inputTokens, outputTokens, turns } = this.usage;
          this.#earlier = { inputTokens, outputTokens, turns };
        }
        this.#result = line;
        return [this.#usageEvent()].filter((event) => event !== undefined);
      case 'stream_event': {
        const delta = TextDelta.safeParse(line.event);
        return delta.success
          ? [{ type: TranscriptEventType.AssistantDelta, text: delta.data.delta.text }]
          : [];
      }
    }
  }

  finish(exit: CliExit): Finish {
    const result = this.#result;
    const usage = this.usage;
    if (result === undefined) {
      return {
        outcome: RunOutcome.Failed,
        message: `claude-code ended (${describeExit(exit)}) without a result`,
        usage,
      };
    }
    const text = result.result ?? '';
    const withResult = text === '' ? {} : { result: text };
    if (result.subtype === 'success' && result.is_error !== true) {
      return { outcome: RunOutcome.Succeeded, ...withResult, usage };
    }
    if (result.subtype === 'error_max_turns') {
      const message = 'claude-code stopped at its maximum number of turns';
      return { outcome: RunOutcome.BudgetExceeded, limit: BudgetLimit.MaxTurns, message, usage };
    }
    if (result.subtype === 'error_max_budget_usd') {
      const message = 'claude-code stopped at its spending limit';
      return { outcome: RunOutcome.BudgetExceeded, limit: BudgetLimit.MaxUsd, message, usage };
    }
    const message = truncate(text || `claude-code ended with ${result.subtype}`, 2_000);
    // The gateway refuses a call over budget with an error of type budget_exceeded (HTTP 402).
    const isBudget = /budget_exceeded/.test(text);
    return { outcome: isBudget ? RunOutcome.BudgetExceeded : RunOutcome.Failed, message, usage };
  }

  #system(
    line: Extract<ClaudeCodeLine, { type: 'system' }>,
    value: Record<string, unknown>,
  ): TranscriptEventInput[] {
    if (line.subtype !== 'init') {
      const level = line.subtype === 'api_retry' ? 'warn' : 'info';
      return [
        {
          type: TranscriptEventType.Log,
          level,
          message: `claude-code: ${line.subtype ?? 'system'}`,
          raw: value,
        },
      ];
    }
    const { session_id, cwd, tools, mcp_servers, permissionMode, apiKeySource } = value;
    return [
      {
        type: TranscriptEventType.RunStarted,
        harness: CLAUDE_CODE_HARNESS,
        ...(line.model === undefined ? {} : { model: line.model }),
        provider: 'anthropic',
        mode: 'task',
      },
      {
        type: TranscriptEventType.Log,
        level: 'info',
        message:
          `claude-code ${line.claude_code_version ?? ''} session ${line.session_id ?? ''}`.replace(
            /\s+/g,
            ' ',
          ),
        raw: { session_id, cwd, tools, mcp_servers, permissionMode, apiKeySource },
      },
    ];
  }

  #assistant(line: Extract<ClaudeCodeLine, { type: 'assistant' }>): TranscriptEventInput[] {
    const { message } = line;
    if (message.id !== undefined && message.usage) this.#responses.set(message.id, message.usage);
    const events: TranscriptEventInput[] = [];
    for (const raw of message.content) {
      const parsed = ContentBlock.safeParse(raw);
      if (!parsed.success) {
        events.push(unmapped('claude-code: assistant content', raw));
        continue;
      }
      const block: ContentBlock = parsed.data;
      switch (block.type) {
        case 'text':
          events.push({
            type: TranscriptEventType.AssistantMessage,
            text: block.text,
            ...(message.stop_reason ? { stopReason: message.stop_reason } : {}),
          });
          break;
        case 'thinking':
          events.push({ type: TranscriptEventType.Thinking, text: block.thinking });
          break;
        case 'tool_use':
          this.#toolCalls++;
          this.#toolNames.set(block.id, block.name);
          events.push({
            type: TranscriptEventType.ToolCall,
            id: block.id,
            name: block.name,
            input: block.input ?? {},
          });
          break;
        case 'tool_result':
          events.push(unmapped('claude-code: tool_result in an assistant message', raw));
          break;
      }
    }
    return events;
  }

  #user(line: Extract<ClaudeCodeLine, { type: 'user' }>): TranscriptEventInput[] {
    const { content } = line.message;
    if (typeof content === 'string')
      return [{ type: TranscriptEventType.UserMessage, text: content }];
    const events: TranscriptEventInput[] = [];
    let hasResults = false;
    for (const raw of content) {
      const parsed = ContentBlock.safeParse(raw);
      if (parsed.success && parsed.data.type === 'tool_result') {
        const block = parsed.data;
        hasResults = true;
        events.push({
          type: TranscriptEventType.ToolResult,
          id: block.tool_use_id,
          name: this.#toolNames.get(block.tool_use_id) ?? 'unknown',
          output: truncate(toolResultText(block.content), MAX_TOOL_OUTPUT_CHARS),
          isError: block.is_error === true,
        });
      } else if (parsed.success && parsed.data.type === 'text') {
        events.push({ type: TranscriptEventType.UserMessage, text: parsed.data.text });
      } else {
        events.push(unmapped('claude-code: user content', raw));
      }
    }
    const usage = hasResults ? this.#usageEvent() : undefined;
    return usage === undefined ? events : [...events, usage];
  }

  /** A `usage` event with the running totals, unless they did not change since the last one. */
  #usageEvent(): TranscriptEventInput | undefined {
    const usage = this.usage;
    const key = JSON.stringify(usage);
    if (key === this.#lastReported) return undefined;
    this.#lastReported = key;
    return { type: TranscriptEventType.Usage, usage };
  }
}
