/**
 * {@link ModelClient} over the Anthropic Messages API (`@anthropic-ai/sdk`), streaming.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageParam,
  RawMessageStreamEvent,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
import {
  type ChatMessage,
  type ModelClient,
  type ModelClientOptions,
  type ModelDelta,
  type ModelToolCall,
  parseToolArguments,
  StopKind,
  type ToolSpec,
} from './model-client.ts';
import { toModelCallError } from './model-error.ts';

function stopKind(reason: string): StopKind {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return StopKind.End;
    case 'tool_use':
      return StopKind.ToolUse;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return StopKind.MaxTokens;
    default:
      return StopKind.Other;
  }
}

function toolInput(call: ModelToolCall): Record<string, unknown> {
  const input = call.input;
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {};
}

/** The conversation as Messages API `messages`. */
export function toAnthropicMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        out.push({ role: 'user', content: message.text });
        break;
      case 'assistant': {
        const content: ContentBlockParam[] = [];
        if (message.text !== '') content.push({ type: 'text', text: message.text });
        for (const call of message.toolCalls) {
          content.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call) });
        }
        // The API refuses an empty assistant message; a turn that said nothing still happened.
        if (content.length === 0) content.push({ type: 'text', text: '(no output)' });
        out.push({ role: 'assistant', content });
        break;
      }
      case 'tool':
        out.push({
          role: 'user',
          content: message.results.map((result) => ({
            type: 'tool_result' as const,
            tool_use_id: result.id,
            content: result.output,
            is_error: result.isError,
          })),
        });
        break;
    }
  }
  return out;
}

function toAnthropicTools(tools: readonly ToolSpec[]): Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { ...tool.inputSchema, type: 'object' },
  }));
}

type Block = {
  kind: 'text' | 'thinking' | 'tool' | 'other';
  id: string;
  name: string;
  json: string;
};

export function createAnthropicModel(options: ModelClientOptions): ModelClient {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseUrl !== undefined ? { baseURL: options.baseUrl } : {}),
    maxRetries: options.maxRetries,
    timeout: options.requestTimeoutMs,
  });

  async function* turn(
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    signal: AbortSignal,
  ): AsyncGenerator<ModelDelta> {
    let stream: AsyncIterable<RawMessageStreamEvent>;
    try {
      stream = await client.messages.create(
        {
          model: options.model,
          max_tokens: options.maxOutputTokens,
          messages: toAnthropicMessages(messages),
          ...(options.systemPrompt ? { system: options.systemPrompt } : {}),
          ...(tools.length > 0 ? { tools: toAnthropicTools(tools) } : {}),
          stream: true,
        },
        { signal },
      );
    } catch (error) {
      throw toModelCallError(error, signal);
    }
    const blocks = new Map<number, Block>();
    let text = '';
    let stopReason = '';
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    try {
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start': {
            const u = event.message.usage;
            usage.inputTokens = u.input_tokens;
            usage.outputTokens = u.output_tokens;
            usage.cacheReadTokens = u.cache_read_input_tokens ?? 0;
            usage.cacheWriteTokens = u.cache_creation_input_tokens ?? 0;
            break;
          }
          case 'content_block_start': {
            const block = event.content_block;
            const kind =
              block.type === 'text'
                ? 'text'
                : block.type === 'thinking'
                  ? 'thinking'
                  : block.type === 'tool_use'
                    ? 'tool'
                    : 'other';
            blocks.set(event.index, {
              kind,
              id: block.type === 'tool_use' ? block.id : '',
              name: block.type === 'tool_use' ? block.name : '',
              json: '',
            });
            if (block.type === 'text' && block.text !== '') {
              text += block.text;
              yield { type: 'text', text: block.text };
            }
            break;
          }
          case 'content_block_delta': {
            const delta = event.delta;
            if (delta.type === 'text_delta') {
              text += delta.text;
              yield { type: 'text', text: delta.text };
            } else if (delta.type === 'thinking_delta') {
              yield { type: 'thinking', text: delta.thinking };
            } else if (delta.type === 'input_json_delta') {
              const block = blocks.get(event.index);
              if (block) block.json += delta.partial_json;
            }
            break;
          }
          case 'message_delta': {
            if (event.delta.stop_reason) stopReason = event.delta.stop_reason;
            const u = event.usage;
            usage.outputTokens = u.output_tokens;
            if (typeof u.input_tokens === 'number') usage.inputTokens = u.input_tokens;
            if (typeof u.cache_read_input_tokens === 'number')
              usage.cacheReadTokens = u.cache_read_input_tokens;
            if (typeof u.cache_creation_input_tokens === 'number')
              usage.cacheWriteTokens = u.cache_creation_input_tokens;
            break;
          }
          default:
            break;
        }
      }
    } catch (error) {
      throw toModelCallError(error, signal);
    }
    if (signal.aborted) throw toModelCallError(signal.reason, signal);
    const toolCalls: ModelToolCall[] = [...blocks.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, block]) => block.kind === 'tool')
      .map(([, block]) => ({
        id: block.id,
        name: block.name,
        input: parseToolArguments(block.json),
        rawArguments: block.json,
      }));
    yield {
      type: 'done',
      turn: { text, toolCalls, stopKind: stopKind(stopReason), stopReason, usage },
    };
  }

  return { provider: 'anthropic', model: options.model, turn };
}
