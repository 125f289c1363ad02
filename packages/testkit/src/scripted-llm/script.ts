/**
 * The script a scripted LLM server plays: one turn per model request, in order. It speaks the
 * Anthropic Messages API, the OpenAI Chat Completions API and the OpenAI Responses API (streaming
 * and not), so tests drive harnesses, the gateway and external agent CLIs against it with their
 * real client libraries.
 */

/**
 * A tool call the scripted model makes; `id` is generated when absent. A string `input` calls a
 * freeform tool (the Responses API's `custom_tool_call`, e.g. Codex's `apply_patch`); the APIs
 * without freeform tools get it as `{ input: "…" }`.
 */
export type ScriptedToolCall = {
  id?: string;
  name: string;
  input: Record<string, unknown> | string;
};

/** The JSON arguments of a call, for the APIs whose tools all take JSON. */
export function jsonInput(call: ScriptedToolCall): Record<string, unknown> {
  return typeof call.input === 'string' ? { input: call.input } : call.input;
}

/** One model answer. */
export type ScriptedTurn = {
  /** Assistant text (streamed in several deltas when the request streams). */
  text?: string;
  /** Visible reasoning (Anthropic `thinking` blocks; ignored on the OpenAI side). */
  thinking?: string;
  /** Tool calls after the text; several make a parallel tool call. */
  toolCalls?: ScriptedToolCall[];
  /**
   * Token counts reported; estimated from the request and answer sizes when absent.
   * `inputTokens` excludes cache reads (Anthropic's meaning); OpenAI answers report
   * `prompt_tokens = inputTokens + cacheReadTokens` with the cache reads as `cached_tokens`.
   */
  usage?: { inputTokens: number; outputTokens: number; cacheReadTokens?: number };
  /** Defaults: `tool_use` when there are tool calls, else `end_turn` (OpenAI: `tool_calls` / `stop`). */
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  /** Answer with a provider-shaped error instead (429 and 5xx let clients test retries). */
  error?: { status: number; message?: string; retryAfterSeconds?: number };
  /** Pause between streamed chunks, to cancel a run mid-stream. */
  chunkDelayMs?: number;
  /** Start streaming and never finish (until the client goes away). */
  isHanging?: boolean;
};

/** A request the server received, as recorded for assertions. */
export type RecordedRequest = {
  /** `openai` covers both Chat Completions and the Responses API; `path` tells them apart. */
  api: 'anthropic' | 'openai';
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  model: string | undefined;
  isStream: boolean;
};

/** A list of turns played in order, or a function choosing the turn for each request. */
export type LlmScript =
  | readonly ScriptedTurn[]
  | ((request: RecordedRequest, index: number) => ScriptedTurn);

export type ScriptedLlmOptions = {
  script: LlmScript;
  /** When set, requests must carry this key (`x-api-key` or `Authorization: Bearer`), else 401. */
  requireKey?: string;
  /** Listen address; 127.0.0.1 and a random port by default. */
  host?: string;
  port?: number;
  /** Model ids `GET /v1/models` lists; a few well-known ids of the asking API by default. */
  models?: readonly string[];
};

export type ScriptedLlm = {
  /** Base URL without a trailing slash: `${url}/v1/messages`, `${url}/v1/chat/completions`. */
  url: string;
  /** Every model request received, in order (count_tokens and models listing excluded). */
  requests: RecordedRequest[];
  /** Turns not played yet (list scripts only; `Infinity` for a function script). */
  remaining(): number;
  /** Appends turns to a list script; throws `validation_failed` for a function script. */
  push(...turns: ScriptedTurn[]): void;
  close(): Promise<void>;
};
