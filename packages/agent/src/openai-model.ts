/**
 * {@link ModelClient} over the OpenAI Chat Completions API (`openai`), streaming. Works with any
 * OpenAI-compatible endpoint (the gateway, LiteLLM, Ollama, vLLM).
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
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
    case 'stop':
      return StopKind.End;
    case 'tool_calls':
    case 'function_call':
      return StopKind.ToolUse;
    case 'length':
      return StopKind.MaxTokens;
    default:
      return StopKind.Other;
  }
}

/** The conversation as Chat Completions `messages`, the system prompt first. */
export function toOpenAiMessages(
  messages: readonly ChatMessage[],
  systemPrompt: string | undefined,
): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (systemPrompt) out.push({ role: 'system', content: systemPrompt });
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        out.push({ role: 'user', content: message.text });
        break;
      case 'assistant':
        out.push({
          role: 'assistant',
          content: message.text === '' ? null : message.text,
          ...(message.toolCalls.length > 0
            ? {
                tool_calls: message.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.rawArguments || '{}' },
                })),
              }
            : {}),
        });
        break;
      case 'tool':
        for (const result of message.results) {
          out.push({ role: 'tool', tool_call_id: result.id, content: result.output });
        }
        break;
    }
  }
  return out;
}

function toOpenAiTools(tools: readonly ToolSpec[]): ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: { ...tool.inputSchema, type: 'object' },
    },
  }));
}

type PartialCall = { id: string; name: string; args: string };

export function createOpenAiModel(options: ModelClientOptions): ModelClient {
  const client = new OpenAI({
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
    let stream: AsyncIterable<ChatCompletionChunk>;
    try {
      stream = await client.chat.completions.create(
        {
          model: options.model,
          messages: toOpenAiMessages(messages, options.systemPrompt),
          max_completion_tokens: options.maxOutputTokens,
          ...(tools.length > 0 ? { tools: toOpenAiTools(tools) } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
    } catch (error) {
      throw toModelCallError(error, signal);
    }
    const calls = new Map<number, PartialCall>();
    let text = '';
    let stopReason = '';
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0 };
    try {
      for await (const chunk of stream) {
        if (chunk.usage) {
          // prompt_tokens counts cached tokens too; TokenCounts keeps them apart (as Anthropic does).
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
          usage.inputTokens = Math.max(0, chunk.usage.prompt_tokens - cached);
          usage.outputTokens = chunk.usage.completion_tokens;
          usage.cacheReadTokens = cached;
        }
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta;
        if (delta.content) {
          text += delta.content;
          yield { type: 'text', text: delta.content };
        }
        for (const part of delta.tool_calls ?? []) {
          const call = calls.get(part.index) ?? { id: '', name: '', args: '' };
          if (part.id) call.id = part.id;
          if (part.function?.name) call.name += part.function.name;
          if (part.function?.arguments) call.args += part.function.arguments;
          calls.set(part.index, call);
        }
        if (choice.finish_reason) stopReason = choice.finish_reason;
      }
    } catch (error) {
      throw toModelCallError(error, signal);
    }
    if (signal.aborted) throw toModelCallError(signal.reason, signal);
    const toolCalls: ModelToolCall[] = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id || `call_${index}`,
        // The transcript needs a name; a nameless call is answered as an unknown tool.
        name: call.name || '(unnamed)',
        input: parseToolArguments(call.args),
        rawArguments: call.args,
      }));
    // Some compatible servers end a tool-calling turn with `stop`; the calls decide.
    const kind = toolCalls.length > 0 ? StopKind.ToolUse : stopKind(stopReason);
    yield { type: 'done', turn: { text, toolCalls, stopKind: kind, stopReason, usage } };
  }

  return { provider: 'openai', model: options.model, turn };
}
