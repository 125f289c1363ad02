/**
 * The Anthropic Messages API side: request schema, the JSON answer and the SSE event stream
 * (`message_start`, content blocks with text, thinking and `input_json_delta` deltas,
 * `message_delta`, `message_stop`).
 */
import { z } from 'zod';
import { jsonPieces, textPieces } from './chunking.ts';
import { randomId } from './ids.ts';
import { jsonInput, type ScriptedTurn } from './script.ts';
import type { SseFrame } from './sse-writer.ts';
import type { TurnUsage } from './usage.ts';

export const AnthropicRequest = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })),
  system: z.unknown().optional(),
  tools: z.array(z.unknown()).optional(),
  stream: z.boolean().optional(),
});
export type AnthropicRequest = z.infer<typeof AnthropicRequest>;

export const AnthropicCountTokensRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.unknown()),
  system: z.unknown().optional(),
  tools: z.array(z.unknown()).optional(),
});

type ContentBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type AnthropicStopReason = NonNullable<ScriptedTurn['stopReason']>;

export function anthropicStopReason(turn: ScriptedTurn): AnthropicStopReason {
  if (turn.stopReason !== undefined) return turn.stopReason;
  return (turn.toolCalls?.length ?? 0) > 0 ? 'tool_use' : 'end_turn';
}

function contentBlocks(turn: ScriptedTurn): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if (turn.thinking !== undefined) {
    blocks.push({ type: 'thinking', thinking: turn.thinking, signature: thinkingSignature() });
  }
  if (turn.text !== undefined) blocks.push({ type: 'text', text: turn.text });
  for (const call of turn.toolCalls ?? []) {
    const id = call.id ?? randomId('toolu_');
    blocks.push({ type: 'tool_use', id, name: call.name, input: jsonInput(call) });
  }
  return blocks;
}

/** Opaque like the real one; clients must pass it back unchanged. */
function thinkingSignature(): string {
  return Buffer.from(randomId('sig_', 48)).toString('base64');
}

function usageJson(usage: TurnUsage, outputTokens: number) {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function messageEnvelope(model: string) {
  return { id: randomId('msg_01'), type: 'message', role: 'assistant', model };
}

/** The non-streaming answer body. */
export function anthropicMessage(turn: ScriptedTurn, model: string, usage: TurnUsage): unknown {
  return {
    ...messageEnvelope(model),
    content: contentBlocks(turn),
    stop_reason: anthropicStopReason(turn),
    stop_sequence: null,
    usage: usageJson(usage, usage.outputTokens),
  };
}

function frame(event: string, data: Record<string, unknown>): SseFrame {
  return { event, data: JSON.stringify({ type: event, ...data }) };
}

function blockFrames(block: ContentBlock, index: number): SseFrame[] {
  const delta = (d: Record<string, unknown>) => frame('content_block_delta', { index, delta: d });
  const frames: SseFrame[] = [];
  switch (block.type) {
    case 'thinking':
      frames.push(
        frame('content_block_start', {
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        }),
      );
      for (const piece of textPieces(block.thinking)) {
        frames.push(delta({ type: 'thinking_delta', thinking: piece }));
      }
      frames.push(delta({ type: 'signature_delta', signature: block.signature }));
      break;
    case 'text':
      frames.push(
        frame('content_block_start', { index, content_block: { type: 'text', text: '' } }),
      );
      for (const piece of textPieces(block.text)) {
        frames.push(delta({ type: 'text_delta', text: piece }));
      }
      break;
    case 'tool_use':
      frames.push(
        frame('content_block_start', {
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      frames.push(delta({ type: 'input_json_delta', partial_json: '' }));
      for (const piece of jsonPieces(JSON.stringify(block.input))) {
        frames.push(delta({ type: 'input_json_delta', partial_json: piece }));
      }
      break;
  }
  frames.push(frame('content_block_stop', { index }));
  return frames;
}

/** The streaming answer: every SSE event in order, `message_start` first. */
export function anthropicEvents(turn: ScriptedTurn, model: string, usage: TurnUsage): SseFrame[] {
  const frames: SseFrame[] = [
    frame('message_start', {
      message: {
        ...messageEnvelope(model),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageJson(usage, 1),
      },
    }),
    frame('ping', {}),
  ];
  for (const [index, block] of contentBlocks(turn).entries()) {
    frames.push(...blockFrames(block, index));
  }
  frames.push(
    frame('message_delta', {
      delta: { stop_reason: anthropicStopReason(turn), stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    }),
    frame('message_stop', {}),
  );
  return frames;
}

/** `GET /v1/models` in Anthropic's shape. */
export function anthropicModelList(models: readonly string[]): unknown {
  const data = models.map(anthropicModel);
  return { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null };
}

export function anthropicModel(id: string): unknown {
  return { type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' };
}
