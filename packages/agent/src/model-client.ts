/**
 * The one interface the loop talks to a model through, whatever the provider: a conversation in a
 * provider-neutral shape goes in, a stream of deltas comes out, ending with the whole turn.
 * `anthropic-model.ts` and `openai-model.ts` implement it over the providers' own SDKs.
 */
import type { TokenCounts } from '@paddock/core';

/** A tool call the model asked for. `input` is the parsed JSON arguments, or the raw text when they were not JSON. */
export type ModelToolCall = { id: string; name: string; input: unknown; rawArguments: string };

/** What one tool answered, sent back to the model in the next request. */
export type ModelToolResult = { id: string; name: string; output: string; isError: boolean };

/** One message of the conversation, provider-neutral. */
export type ChatMessage =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls: ModelToolCall[] }
  | { role: 'tool'; results: ModelToolResult[] };

/** A tool as the model sees it: a name, a description and a JSON Schema of its arguments (an object). */
export type ToolSpec = { name: string; description: string; inputSchema: Record<string, unknown> };

/**
 * Why a turn ended, normalised: `end` (end_turn, stop, stop_sequence), `tool_use` (tool_use,
 * tool_calls), `max_tokens` (max_tokens, length), `other` (anything else: refusal, content filter).
 */
export const StopKind = {
  End: 'end',
  ToolUse: 'tool_use',
  MaxTokens: 'max_tokens',
  Other: 'other',
} as const;
export type StopKind = (typeof StopKind)[keyof typeof StopKind];

/** The whole of one turn. */
export type TurnResult = {
  text: string;
  toolCalls: ModelToolCall[];
  stopKind: StopKind;
  /** The provider's own stop reason, as written in the transcript. */
  stopReason: string;
  usage: TokenCounts;
};

/** What a turn streams: text and reasoning as they arrive, then the whole turn once. */
export type ModelDelta =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'done'; turn: TurnResult };

export type ModelClient = {
  readonly provider: 'anthropic' | 'openai';
  readonly model: string;
  /**
   * Asks the model for one turn. Retries 429, 5xx and connection failures before the stream starts
   * (the SDK's `maxRetries`, honouring `retry-after`). Aborting `signal` ends the stream. Failures
   * throw {@link ModelCallError}.
   */
  turn(
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    signal: AbortSignal,
  ): AsyncIterable<ModelDelta>;
};

/** Settings both clients share. */
export type ModelClientOptions = {
  model: string;
  baseUrl?: string | undefined;
  apiKey: string;
  systemPrompt?: string | undefined;
  maxOutputTokens: number;
  maxRetries: number;
  /** Per-request timeout of the SDK, in milliseconds. */
  requestTimeoutMs: number;
};

/** Parses tool-call arguments: the object when they are JSON, else the raw text (the tool then refuses it). */
export function parseToolArguments(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
