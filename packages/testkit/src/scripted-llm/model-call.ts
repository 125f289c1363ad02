/**
 * A model request parsed and validated for one API, with the renderers that turn a scripted turn
 * into that API's JSON answer or SSE stream.
 */
import type { z } from 'zod';
import { AnthropicRequest, anthropicEvents, anthropicMessage } from './anthropic.ts';
import { OpenAiChatRequest, openaiChunks, openaiCompletion } from './openai.ts';
import { OpenAiResponsesRequest, responsesAnswer, responsesEvents } from './openai-responses.ts';
import type { ProviderApi } from './provider-errors.ts';
import type { ScriptedTurn } from './script.ts';
import type { SseFrame } from './sse-writer.ts';
import type { TurnUsage } from './usage.ts';

export type ModelCall = {
  api: ProviderApi;
  model: string;
  isStream: boolean;
  /** What input tokens are estimated from. */
  prompt: unknown;
  renderJson(turn: ScriptedTurn, usage: TurnUsage): unknown;
  renderStream(turn: ScriptedTurn, usage: TurnUsage): SseFrame[];
};

export type ModelRoute = 'anthropic-messages' | 'openai-chat' | 'openai-responses';

export type ParsedCall = { call: ModelCall } | { problem: string };

/** Validates a request body; `problem` reads like the provider's own 400 message. */
export function parseModelCall(route: ModelRoute, body: unknown): ParsedCall {
  switch (route) {
    case 'anthropic-messages': {
      const parsed = AnthropicRequest.safeParse(body);
      if (!parsed.success) return { problem: describe(parsed.error) };
      const request = parsed.data;
      return {
        call: {
          api: 'anthropic',
          model: request.model,
          isStream: request.stream === true,
          prompt: { system: request.system, messages: request.messages, tools: request.tools },
          renderJson: (turn, usage) => anthropicMessage(turn, request.model, usage),
          renderStream: (turn, usage) => anthropicEvents(turn, request.model, usage),
        },
      };
    }
    case 'openai-chat': {
      const parsed = OpenAiChatRequest.safeParse(body);
      if (!parsed.success) return { problem: describe(parsed.error) };
      const request = parsed.data;
      const isUsageIncluded = request.stream_options?.include_usage === true;
      return {
        call: {
          api: 'openai',
          model: request.model,
          isStream: request.stream === true,
          prompt: { messages: request.messages, tools: request.tools },
          renderJson: (turn, usage) => openaiCompletion(turn, request.model, usage),
          renderStream: (turn, usage) => openaiChunks(turn, request.model, usage, isUsageIncluded),
        },
      };
    }
    case 'openai-responses': {
      const parsed = OpenAiResponsesRequest.safeParse(body);
      if (!parsed.success) return { problem: describe(parsed.error) };
      const request = parsed.data;
      return {
        call: {
          api: 'openai',
          model: request.model,
          isStream: request.stream === true,
          prompt: {
            instructions: request.instructions,
            input: request.input,
            tools: request.tools,
          },
          renderJson: (turn, usage) => responsesAnswer(turn, request.model, usage),
          renderStream: (turn, usage) => responsesEvents(turn, request.model, usage),
        },
      };
    }
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}
