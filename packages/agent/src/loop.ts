/**
 * The tool-use loop. `send(text)` adds a user message and runs turns until the model ends its
 * turn (the session is then idle, `lastText` holds the answer) or the run must stop (a budget, a
 * model failure, a stop requested from outside).
 *
 * Per turn: check the budget, stream the model (`message.delta` events), write the turn
 * (`thinking`, `message.assistant`, `usage`), then by stop reason:
 * - tool calls (`tool_use` / `tool_calls`): run them concurrently, return their results in the
 *   order the model asked, and take another turn;
 * - `max_tokens` / `length` without tool calls: ask the model once to continue where it was cut
 *   off; when the continuation is cut off too, the session goes idle with the text so far
 *   (`isTruncated`);
 * - anything else (`end_turn`, `stop`, a refusal): the session is idle.
 */
import { RunOutcome, TranscriptEventType } from '@paddock/core';
import type { BudgetTracker, Stop } from './budget.ts';
import type {
  ChatMessage,
  ModelClient,
  ModelToolCall,
  ModelToolResult,
  ToolSpec,
  TurnResult,
} from './model-client.ts';
import { StopKind } from './model-client.ts';
import { ModelErrorCode, toModelCallError } from './model-error.ts';
import type { RunStopper } from './run-stopper.ts';
import type { ToolAllowlist } from './tool-allowlist.ts';
import type { Tool, ToolContext } from './tools/tool.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

/** The user message that asks a model cut off at its output limit to go on. */
export const CONTINUE_PROMPT =
  'Your previous reply was cut off at the output token limit. Continue exactly where it stopped.';

export type SessionOptions = {
  model: ModelClient;
  /** Every tool known (built-in and MCP); the allowlist decides which the model sees. */
  tools: readonly Tool[];
  allowlist: ToolAllowlist;
  toolContext: Omit<ToolContext, 'signal'>;
  budget: BudgetTracker;
  writer: TranscriptWriter;
  stopper: RunStopper;
};

export class AgentSession {
  readonly #options: SessionOptions;
  readonly #messages: ChatMessage[] = [];
  readonly #allowed: ReadonlyMap<string, Tool>;
  readonly #specs: readonly ToolSpec[];
  #lastText = '';
  #isTruncated = false;

  constructor(options: SessionOptions) {
    this.#options = options;
    const allowed = options.tools.filter((tool) => options.allowlist.isAllowed(tool.name));
    this.#allowed = new Map(allowed.map((tool) => [tool.name, tool]));
    this.#specs = allowed.map(({ name, description, inputSchema }) => ({
      name,
      description,
      inputSchema,
    }));
  }

  /** The text of the last turn the model ended (a continuation after `max_tokens` included). */
  get lastText(): string {
    return this.#lastText;
  }

  /** Whether that text was cut off at the output token limit. */
  get isTruncated(): boolean {
    return this.#isTruncated;
  }

  /** Names of the tools the model is offered. */
  get toolNames(): string[] {
    return [...this.#allowed.keys()];
  }

  /** Adds a user message and runs turns until the session is idle (undefined) or must stop. */
  async send(text: string): Promise<Stop | undefined> {
    const { writer } = this.#options;
    writer.emit({ type: TranscriptEventType.UserMessage, text });
    this.#messages.push({ role: 'user', text });
    let continued = '';
    let hasContinued = false;
    for (;;) {
      const stop = this.#options.stopper.stop ?? this.#options.budget.beforeTurn();
      if (stop) return stop;
      const turn = await this.#turn();
      if ('outcome' in turn) return turn;
      if (turn.toolCalls.length > 0) {
        const results = await this.#runTools(turn.toolCalls);
        this.#messages.push({ role: 'tool', results });
        if (this.#options.stopper.stop) return this.#options.stopper.stop;
        continued = '';
        hasContinued = false;
        continue;
      }
      if (turn.stopKind === StopKind.MaxTokens && !hasContinued) {
        hasContinued = true;
        continued += turn.text;
        writer.emit({
          type: TranscriptEventType.Log,
          level: 'warn',
          message: 'the reply was cut off at the output token limit; asking the model to continue',
        });
        this.#messages.push({ role: 'user', text: CONTINUE_PROMPT });
        continue;
      }
      this.#lastText = continued + turn.text;
      this.#isTruncated = turn.stopKind === StopKind.MaxTokens;
      return undefined;
    }
  }

  /** One model call, written to the transcript; a stop when it failed. */
  async #turn(): Promise<TurnResult | Stop> {
    const { model, writer, budget, stopper } = this.#options;
    let turn: TurnResult | undefined;
    let thinking = '';
    try {
      for await (const delta of model.turn(this.#messages, this.#specs, stopper.signal)) {
        if (delta.type === 'text') {
          writer.emit({ type: TranscriptEventType.AssistantDelta, text: delta.text });
        } else if (delta.type === 'thinking') {
          thinking += delta.text;
        } else {
          turn = delta.turn;
        }
      }
    } catch (error) {
      if (stopper.stop) return stopper.stop;
      const failure = toModelCallError(error, stopper.signal);
      writer.emit({
        type: TranscriptEventType.Error,
        code: failure.modelCode,
        message: failure.message,
      });
      if (failure.modelCode === ModelErrorCode.BudgetExceeded) {
        return {
          outcome: RunOutcome.BudgetExceeded,
          ...(failure.limit ? { limit: failure.limit } : {}),
          message: `the gateway refused the model call: ${failure.message}`,
        };
      }
      return { outcome: RunOutcome.Failed, message: `model call failed: ${failure.message}` };
    }
    if (stopper.stop) return stopper.stop;
    if (turn === undefined) {
      return {
        outcome: RunOutcome.Failed,
        message: 'the model stream ended without a final message',
      };
    }
    budget.recordTurn(turn.usage);
    budget.recordToolCalls(turn.toolCalls.length);
    if (thinking !== '') writer.emit({ type: TranscriptEventType.Thinking, text: thinking });
    if (turn.text !== '') {
      writer.emit({
        type: TranscriptEventType.AssistantMessage,
        text: turn.text,
        ...(turn.stopReason ? { stopReason: turn.stopReason } : {}),
      });
    }
    this.#messages.push({ role: 'assistant', text: turn.text, toolCalls: turn.toolCalls });
    writer.usage(budget.usage);
    return budget.afterTurn() ?? turn;
  }

  /** Runs a turn's tool calls concurrently; the results come back in the order of the calls. */
  async #runTools(calls: readonly ModelToolCall[]): Promise<ModelToolResult[]> {
    const { writer, stopper, toolContext } = this.#options;
    for (const call of calls) {
      writer.emit({
        type: TranscriptEventType.ToolCall,
        id: call.id,
        name: call.name,
        input: call.input,
      });
    }
    const context: ToolContext = { ...toolContext, signal: stopper.signal };
    return Promise.all(
      calls.map(async (call): Promise<ModelToolResult> => {
        const started = performance.now();
        const tool = this.#allowed.get(call.name);
        const { output, isError } = tool
          ? await tool.run(call.input, context)
          : { output: this.#refusal(call.name), isError: true };
        writer.emit({
          type: TranscriptEventType.ToolResult,
          id: call.id,
          name: call.name,
          output,
          isError,
          durationMs: performance.now() - started,
        });
        return { id: call.id, name: call.name, output, isError };
      }),
    );
  }

  #refusal(name: string): string {
    const known = this.#options.tools.some((tool) => tool.name === name);
    return known
      ? `tool "${name}" is not allowed in this run`
      : `unknown tool "${name}"; available tools: ${this.toolNames.join(', ') || 'none'}`;
  }
}
