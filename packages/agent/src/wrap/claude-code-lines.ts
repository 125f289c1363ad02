/**
 * The lines Claude Code prints with `--output-format stream-json --verbose`, as zod schemas: only
 * the fields the mapping reads are checked, the rest passes through (`looseObject`), so a newer
 * Claude Code that adds fields still parses.
 */
import { z } from 'zod';
import { count } from './event-mapper.ts';

export const ApiUsage = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type ApiUsage = z.infer<typeof ApiUsage>;

export const ContentBlock = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('thinking'), thinking: z.string() }),
  z.looseObject({
    type: z.literal('tool_use'),
    id: z.string().min(1).max(256),
    name: z.string().min(1),
    input: z.unknown(),
  }),
  z.looseObject({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1).max(256),
    content: z.unknown().optional(),
    is_error: z.boolean().nullish(),
  }),
]);
export type ContentBlock = z.infer<typeof ContentBlock>;

export const ClaudeCodeLine = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('system'),
    subtype: z.string().optional(),
    model: z.string().optional(),
    session_id: z.string().optional(),
    claude_code_version: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('assistant'),
    message: z.looseObject({
      id: z.string().optional(),
      content: z.array(z.unknown()),
      stop_reason: z.string().nullish(),
      usage: ApiUsage.nullish(),
    }),
  }),
  z.looseObject({
    type: z.literal('user'),
    message: z.looseObject({ content: z.union([z.string(), z.array(z.unknown())]) }),
  }),
  z.looseObject({
    type: z.literal('result'),
    subtype: z.string(),
    is_error: z.boolean().optional(),
    result: z.string().optional(),
    total_cost_usd: z.number().optional(),
    num_turns: z.number().optional(),
    usage: ApiUsage.nullish(),
  }),
  z.looseObject({ type: z.literal('stream_event'), event: z.unknown() }),
]);
export type ClaudeCodeLine = z.infer<typeof ClaudeCodeLine>;
export type ResultLine = Extract<ClaudeCodeLine, { type: 'result' }>;

export const TextDelta = z.looseObject({
  type: z.literal('content_block_delta'),
  delta: z.looseObject({ type: z.literal('text_delta'), text: z.string() }),
});

export function inputTokensOf(usage: ApiUsage): number {
  return (
    count(usage.input_tokens) +
    count(usage.cache_creation_input_tokens) +
    count(usage.cache_read_input_tokens)
  );
}

/** The text the model was shown for a tool result (`content` is a string or content blocks). */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return content
    .map((block: unknown) => {
      const text = z.looseObject({ type: z.literal('text'), text: z.string() }).safeParse(block);
      if (text.success) return text.data.text;
      const type = z.looseObject({ type: z.string() }).safeParse(block);
      return `[${type.success ? type.data.type : 'content'}]`;
    })
    .join('\n');
}
