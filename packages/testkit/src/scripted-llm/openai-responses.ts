/**
 * The OpenAI Responses API side (`POST /v1/responses`, used by Codex): request schema, the JSON
 * answer and the SSE event stream (`response.created`, output items with text, reasoning summary,
 * function call argument and custom (freeform) tool input deltas, `response.completed` with usage).
 */
import { z } from 'zod';
import { jsonPieces, textPieces } from './chunking.ts';
import { randomId } from './ids.ts';
import type { ScriptedTurn } from './script.ts';
import type { SseFrame } from './sse-writer.ts';
import type { TurnUsage } from './usage.ts';

export const OpenAiResponsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())]),
  instructions: z.string().nullish(),
  tools: z.array(z.unknown()).nullish(),
  stream: z.boolean().nullish(),
});
export type OpenAiResponsesRequest = z.infer<typeof OpenAiResponsesRequest>;

type OutputItem =
  | { type: 'reasoning'; id: string; summary: { type: 'summary_text'; text: string }[] }
  | {
      type: 'message';
      id: string;
      status: 'completed';
      role: 'assistant';
      content: { type: 'output_text'; text: string; annotations: [] }[];
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed';
    }
  | {
      type: 'custom_tool_call';
      id: string;
      call_id: string;
      name: string;
      input: string;
      status: 'completed';
    };

function outputItems(turn: ScriptedTurn): OutputItem[] {
  const items: OutputItem[] = [];
  if (turn.thinking !== undefined) {
    const summary = [{ type: 'summary_text' as const, text: turn.thinking }];
    items.push({ type: 'reasoning', id: randomId('rs_'), summary });
  }
  if (turn.text !== undefined) {
    items.push({
      type: 'message',
      id: randomId('msg_'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: turn.text, annotations: [] }],
    });
  }
  for (const call of turn.toolCalls ?? []) {
    const callId = call.id ?? randomId('call_');
    items.push(
      typeof call.input === 'string'
        ? {
            type: 'custom_tool_call',
            id: randomId('ctc_'),
            call_id: callId,
            name: call.name,
            input: call.input,
            status: 'completed',
          }
        : {
            type: 'function_call',
            id: randomId('fc_'),
            call_id: callId,
            name: call.name,
            arguments: JSON.stringify(call.input),
            status: 'completed',
          },
    );
  }
  return items;
}

function usageJson(usage: TurnUsage) {
  const inputTokens = usage.inputTokens + usage.cacheReadTokens;
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + usage.outputTokens,
  };
}

type Envelope = { id: string; created_at: number; model: string };

function response(
  envelope: Envelope,
  turn: ScriptedTurn,
  output: OutputItem[] | null,
  usage: TurnUsage | null,
) {
  const isCut = turn.stopReason === 'max_tokens';
  const isDone = output !== null;
  return {
    ...envelope,
    object: 'response',
    status: !isDone ? 'in_progress' : isCut ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: isDone && isCut ? { reason: 'max_output_tokens' } : null,
    output: output ?? [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: usage === null ? null : usageJson(usage),
  };
}

function newEnvelope(model: string): Envelope {
  return { id: randomId('resp_'), created_at: Math.floor(Date.now() / 1000), model };
}

/** The non-streaming answer body. */
export function responsesAnswer(turn: ScriptedTurn, model: string, usage: TurnUsage): unknown {
  return response(newEnvelope(model), turn, outputItems(turn), usage);
}

/** Events streamed for one output item, between its `added` and `done` events. */
function itemEvents(item: OutputItem, outputIndex: number): Record<string, unknown>[] {
  const at = { item_id: item.id, output_index: outputIndex };
  switch (item.type) {
    case 'reasoning': {
      const text = item.summary[0]?.text ?? '';
      const part = { ...at, summary_index: 0 };
      return [
        {
          type: 'response.reasoning_summary_part.added',
          ...part,
          part: { type: 'summary_text', text: '' },
        },
        ...textPieces(text).map((delta) => ({
          type: 'response.reasoning_summary_text.delta',
          ...part,
          delta,
        })),
        { type: 'response.reasoning_summary_text.done', ...part, text },
        {
          type: 'response.reasoning_summary_part.done',
          ...part,
          part: { type: 'summary_text', text },
        },
      ];
    }
    case 'message': {
      const text = item.content[0]?.text ?? '';
      const part = { ...at, content_index: 0 };
      const emptyPart = { type: 'output_text', text: '', annotations: [] };
      return [
        { type: 'response.content_part.added', ...part, part: emptyPart },
        ...textPieces(text).map((delta) => ({
          type: 'response.output_text.delta',
          ...part,
          delta,
        })),
        { type: 'response.output_text.done', ...part, text },
        { type: 'response.content_part.done', ...part, part: { ...emptyPart, text } },
      ];
    }
    case 'function_call':
      return [
        ...jsonPieces(item.arguments).map((delta) => ({
          type: 'response.function_call_arguments.delta',
          ...at,
          delta,
        })),
        { type: 'response.function_call_arguments.done', ...at, arguments: item.arguments },
      ];
    case 'custom_tool_call':
      return [
        ...jsonPieces(item.input).map((delta) => ({
          type: 'response.custom_tool_call_input.delta',
          ...at,
          delta,
        })),
        { type: 'response.custom_tool_call_input.done', ...at, input: item.input },
      ];
  }
}

function startedItem(item: OutputItem): OutputItem {
  switch (item.type) {
    case 'reasoning':
      return { ...item, summary: [] };
    case 'message':
      return { ...item, content: [] };
    case 'function_call':
      return { ...item, arguments: '' };
    case 'custom_tool_call':
      return { ...item, input: '' };
  }
}

/** The streaming answer: every event in order with increasing `sequence_number`. */
export function responsesEvents(turn: ScriptedTurn, model: string, usage: TurnUsage): SseFrame[] {
  const envelope = newEnvelope(model);
  const items = outputItems(turn);
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: response(envelope, turn, null, null) },
    { type: 'response.in_progress', response: response(envelope, turn, null, null) },
  ];
  for (const [outputIndex, item] of items.entries()) {
    const added = {
      ...startedItem(item),
      ...(item.type === 'reasoning' ? {} : { status: 'in_progress' }),
    };
    events.push({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    events.push(...itemEvents(item, outputIndex));
    events.push({ type: 'response.output_item.done', output_index: outputIndex, item });
  }
  const final = response(envelope, turn, items, usage);
  const finalType = final.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  events.push({ type: finalType, response: final });
  return events.map((event, sequence) => ({
    event: String(event.type),
    data: JSON.stringify({ ...event, sequence_number: sequence }),
  }));
}
