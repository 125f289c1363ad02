/**
 * The OpenAI Chat Completions side: request schema, the JSON answer and the SSE chunk stream
 * (role chunk, content deltas, tool calls with arguments split across chunks, the finish chunk,
 * the usage chunk when `stream_options.include_usage` asks for it, then `[DONE]`).
 */
import { z } from 'zod';
import { jsonPieces, textPieces } from './chunking.ts';
import { randomId } from './ids.ts';
import { jsonInput, type ScriptedTurn } from './script.ts';
import type { SseFrame } from './sse-writer.ts';
import type { TurnUsage } from './usage.ts';

export const OpenAiChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string() })).min(1),
  tools: z.array(z.unknown()).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});
export type OpenAiChatRequest = z.infer<typeof OpenAiChatRequest>;

type FinishReason = 'stop' | 'tool_calls' | 'length';

export function openaiFinishReason(turn: ScriptedTurn): FinishReason {
  const stopReason =
    turn.stopReason ?? ((turn.toolCalls?.length ?? 0) > 0 ? 'tool_use' : 'end_turn');
  switch (stopReason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
  }
}

type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

function toolCalls(turn: ScriptedTurn): ToolCall[] {
  return (turn.toolCalls ?? []).map((call) => ({
    id: call.id ?? randomId('call_'),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(jsonInput(call)) },
  }));
}

/** OpenAI counts cached tokens inside `prompt_tokens`; Anthropic reports them apart. */
export function openaiUsage(usage: TurnUsage) {
  const promptTokens = usage.inputTokens + usage.cacheReadTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: promptTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

function envelope(object: string, model: string) {
  return {
    id: randomId('chatcmpl-'),
    object,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
  };
}

/** The non-streaming answer body. */
export function openaiCompletion(turn: ScriptedTurn, model: string, usage: TurnUsage): unknown {
  const calls = toolCalls(turn);
  return {
    ...envelope('chat.completion', model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: turn.text ?? null,
          refusal: null,
          annotations: [],
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: openaiFinishReason(turn),
      },
    ],
    usage: openaiUsage(usage),
  };
}

/** The streaming answer: `data:` frames in order, ending with `[DONE]`. */
export function openaiChunks(
  turn: ScriptedTurn,
  model: string,
  usage: TurnUsage,
  isUsageIncluded: boolean,
): SseFrame[] {
  const base = envelope('chat.completion.chunk', model);
  const chunk = (delta: Record<string, unknown>, finishReason: FinishReason | null = null) => ({
    data: JSON.stringify({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(isUsageIncluded ? { usage: null } : {}),
    }),
  });
  const frames: SseFrame[] = [
    chunk({ role: 'assistant', content: turn.text === undefined ? null : '', refusal: null }),
  ];
  for (const piece of turn.text === undefined ? [] : textPieces(turn.text)) {
    frames.push(chunk({ content: piece }));
  }
  for (const [index, call] of toolCalls(turn).entries()) {
    frames.push(
      chunk({
        tool_calls: [
          {
            index,
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: '' },
          },
        ],
      }),
    );
    for (const piece of jsonPieces(call.function.arguments)) {
      frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  }
  frames.push(chunk({}, openaiFinishReason(turn)));
  if (isUsageIncluded) {
    frames.push({ data: JSON.stringify({ ...base, choices: [], usage: openaiUsage(usage) }) });
  }
  frames.push({ data: '[DONE]' });
  return frames;
}

/** `GET /v1/models` in OpenAI's shape. */
export function openaiModelList(models: readonly string[]): unknown {
  return { object: 'list', data: models.map(openaiModel) };
}

export function openaiModel(id: string): unknown {
  return { id, object: 'model', created: 1735689600, owned_by: 'scripted-llm' };
}
