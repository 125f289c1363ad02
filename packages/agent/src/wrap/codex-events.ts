/**
 * Codex's `codex exec --json` lines mapped onto the transcript (as Codex 0.171.0 prints them: see
 * the recorded runs in fixtures/, and runs-codex.test.ts for the real CLI in a sandbox):
 *
 * | Codex line | transcript |
 * |---|---|
 * | `thread.started` | `run.started` and a `log` with the thread id (a resumed thread: nothing) |
 * | `turn.started`, `item.updated` | nothing (progress only) |
 * | `turn.completed` | `usage` (Codex reports the thread's token totals, no cost) |
 * | `turn.failed` | `error`; the run fails with its message (`budget_exceeded` when the gateway refused a call over budget) |
 * | `error` | `log` warn (Codex also reports retries this way); fails the run only with a non-zero exit |
 * | `item.started` command_execution / mcp_tool_call / web_search | `tool.call` |
 * | `item.completed` command_execution / mcp_tool_call / web_search / file_change | `tool.result` (after its `tool.call`) |
 * | `item.completed` agent_message / reasoning | `message.assistant` / `thinking` |
 * | `item.completed` error (a warning Codex survived, e.g. unknown model metadata) | `log` warn |
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
  type CliExit,
  count,
  describeExit,
  type EventMapper,
  type Finish,
  readJsonLine,
  truncate,
  unmapped,
} from './event-mapper.ts';

const MAX_TOOL_OUTPUT_CHARS = 64_000;

const Item = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('agent_message'), id: z.string(), text: z.string() }),
  z.looseObject({ type: z.literal('reasoning'), id: z.string(), text: z.string() }),
  z.looseObject({
    type: z.literal('command_execution'),
    id: z.string(),
    command: z.string(),
    aggregated_output: z.string().optional(),
    exit_code: z.number().nullish(),
    status: z.string(),
  }),
  z.looseObject({
    type: z.literal('file_change'),
    id: z.string(),
    changes: z.array(z.looseObject({ path: z.string(), kind: z.string() })),
    status: z.string(),
  }),
  z.looseObject({
    type: z.literal('mcp_tool_call'),
    id: z.string(),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown().optional(),
    result: z.looseObject({ content: z.array(z.unknown()).optional() }).nullish(),
    error: z.looseObject({ message: z.string() }).nullish(),
    status: z.string(),
  }),
  z.looseObject({ type: z.literal('web_search'), id: z.string(), query: z.string() }),
  z.looseObject({ type: z.literal('error'), id: z.string(), message: z.string() }),
]);
type Item = z.infer<typeof Item>;

const Line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string().optional() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({
    type: z.literal('turn.completed'),
    usage: z
      .looseObject({
        input_tokens: z.number().optional(),
        cached_input_tokens: z.number().optional(),
        output_tokens: z.number().optional(),
      })
      .optional(),
  }),
  z.looseObject({
    type: z.literal('turn.failed'),
    error: z.looseObject({ message: z.string() }).optional(),
  }),
  z.looseObject({ type: z.literal('error'), message: z.string().optional() }),
  z.looseObject({ type: z.literal('item.started'), item: z.unknown() }),
  z.looseObject({ type: z.literal('item.updated'), item: z.unknown() }),
  z.looseObject({ type: z.literal('item.completed'), item: z.unknown() }),
]);

function mcpText(content: readonly unknown[] | undefined): string {
  return (content ?? [])
    .map((block) => {
      const text = z.looseObject({ type: z.literal('text'), text: z.string() }).safeParse(block);
      return text.success ? text.data.text : JSON.stringify(block);
    })
    .join('\n');
}

export class CodexEvents implements EventMapper {
  readonly #called = new Set<string>();
  #usage: RunUsage = EMPTY_USAGE;
  #lastMessage: string | undefined;
  #failure: string | undefined;
  #lastError: string | undefined;
  #threadId: string | undefined;

  get usage(): RunUsage {
    return this.#usage;
  }

  /** The thread Codex started (`codex exec resume` continues it). */
  get sessionId(): string | undefined {
    return this.#threadId;
  }

  mapLine(text: string): TranscriptEventInput[] {
    const read = readJsonLine(text, Line, 'codex');
    if ('events' in read) return read.events;
    const { line, value } = read;
    switch (line.type) {
      case 'thread.started':
        if (this.#threadId !== undefined) return [];
        this.#threadId = line.thread_id ?? '';
        return [
          {
            type: TranscriptEventType.RunStarted,
            harness: 'codex',
            provider: 'openai',
            mode: 'task',
          },
          {
            type: TranscriptEventType.Log,
            level: 'info',
            message: `codex thread ${line.thread_id ?? ''}`.trim(),
            raw: value,
          },
        ];
      case 'turn.started':
      case 'item.updated':
        return [];
      case 'turn.completed': {
        // The thread's totals (a resumed thread's include its earlier turns).
        const usage = line.usage;
        this.#usage = {
          ...this.#usage,
          inputTokens: count(usage?.input_tokens),
          outputTokens: count(usage?.output_tokens),
          turns: this.#usage.turns + 1,
        };
        return [{ type: TranscriptEventType.Usage, usage: this.#usage }];
      }
      case 'turn.failed': {
        this.#failure = line.error?.message ?? 'the turn failed';
        return [
          { type: TranscriptEventType.Error, code: 'codex_turn_failed', message: this.#failure },
        ];
      }
      case 'error':
        this.#lastError = line.message ?? 'error';
        return [
          { type: TranscriptEventType.Log, level: 'warn', message: this.#lastError, raw: value },
        ];
      case 'item.started':
        return this.#started(line.item);
      case 'item.completed':
        return this.#completed(line.item);
    }
  }

  finish(exit: CliExit): Finish {
    const usage = this.#usage;
    if (this.#failure !== undefined) {
      // The gateway refuses a call over budget with HTTP 402 (error type budget_exceeded), which
      // Codex reports as `unexpected status 402 Payment Required: MESSAGE, url: …`.
      const isBudget = /budget_exceeded|\bunexpected status 402\b/.test(this.#failure);
      const outcome = isBudget ? RunOutcome.BudgetExceeded : RunOutcome.Failed;
      return { outcome, message: truncate(this.#failure, 2_000), usage };
    }
    if (exit.code !== 0) {
      const why = this.#lastError === undefined ? '' : `: ${truncate(this.#lastError, 2_000)}`;
      return {
        outcome: RunOutcome.Failed,
        message: `codex failed (${describeExit(exit)})${why}`,
        usage,
      };
    }
    const result = this.#lastMessage;
    return { outcome: RunOutcome.Succeeded, ...(result === undefined ? {} : { result }), usage };
  }

  #call(item: Item): TranscriptEventInput[] {
    if (this.#called.has(item.id)) return [];
    let call: { name: string; input: unknown } | undefined;
    switch (item.type) {
      case 'command_execution':
        call = { name: 'shell', input: { command: item.command } };
        break;
      case 'file_change':
        call = { name: 'apply_patch', input: { changes: item.changes } };
        break;
      case 'mcp_tool_call':
        call = { name: `${item.server}.${item.tool}`, input: item.arguments ?? {} };
        break;
      case 'web_search':
        call = { name: 'web_search', input: { query: item.query } };
        break;
      default:
        return [];
    }
    this.#called.add(item.id);
    this.#usage = { ...this.#usage, toolCalls: this.#usage.toolCalls + 1 };
    return [{ type: TranscriptEventType.ToolCall, id: item.id, ...call }];
  }

  #started(raw: unknown): TranscriptEventInput[] {
    const parsed = Item.safeParse(raw);
    return parsed.success ? this.#call(parsed.data) : [];
  }

  #completed(raw: unknown): TranscriptEventInput[] {
    const parsed = Item.safeParse(raw);
    if (!parsed.success) return [unmapped('codex: item', raw)];
    const item = parsed.data;
    const result = (name: string, output: string, isError: boolean): TranscriptEventInput[] => [
      ...this.#call(item),
      {
        type: TranscriptEventType.ToolResult,
        id: item.id,
        name,
        output: truncate(output, MAX_TOOL_OUTPUT_CHARS),
        isError,
      },
    ];
    switch (item.type) {
      case 'agent_message':
        this.#lastMessage = item.text;
        return [{ type: TranscriptEventType.AssistantMessage, text: item.text }];
      case 'reasoning':
        return [{ type: TranscriptEventType.Thinking, text: item.text }];
      case 'error':
        return [{ type: TranscriptEventType.Log, level: 'warn', message: item.message }];
      case 'command_execution':
        return result(
          'shell',
          item.aggregated_output ?? '',
          item.status === 'failed' || (item.exit_code ?? 0) !== 0,
        );
      case 'file_change':
        return result(
          'apply_patch',
          item.changes.map((change) => `${change.kind} ${change.path}`).join('\n'),
          item.status === 'failed',
        );
      case 'mcp_tool_call':
        return result(
          `${item.server}.${item.tool}`,
          item.error?.message ?? mcpText(item.result?.content),
          item.status === 'failed' || item.error != null,
        );
      case 'web_search':
        return result('web_search', '', false);
    }
  }
}
