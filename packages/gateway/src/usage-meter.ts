import type { TokenCounts } from '@paddock/core';
import { z } from 'zod';
import { Provider } from './provider-errors.ts';
import type { SseEvent } from './sse-parser.ts';

const Count = z.number().int().nonnegative().catch(0);
const OptionalCount = z.number().int().nonnegative().optional().catch(undefined);

const AnthropicUsage = z.object({
  input_tokens: OptionalCount,
  output_tokens: OptionalCount,
  cache_read_input_tokens: z.number().int().nonnegative().nullish().catch(undefined),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish().catch(undefined),
  server_tool_use: z.object({ web_search_requests: OptionalCount }).nullish().catch(undefined),
});
type AnthropicUsage = z.infer<typeof AnthropicUsage>;

const OpenAiUsage = z.object({
  prompt_tokens: Count,
  completion_tokens: Count,
  prompt_tokens_details: z.object({ cached_tokens: OptionalCount }).nullish().catch(undefined),
});

/** The Responses API's usage (`input_tokens` includes the cached part, like Chat Completions). */
const ResponsesUsage = z.object({
  input_tokens: Count,
  output_tokens: Count,
  input_tokens_details: z.object({ cached_tokens: OptionalCount }).nullish().catch(undefined),
});

const ErrorShape = z.object({
  error: z.object({
    type: z.string().optional(),
    code: z.string().nullish(),
    message: z.string().optional(),
  }),
});

/**
 * What a metered call used, read from the provider's answer: a whole JSON body, or the events of
 * a stream one at a time (so a stream cut short still counts what was seen). Token counts are
 * normalised: `inputTokens` excludes cached input, which counts as `cacheReadTokens`.
 */
export class UsageMeter {
  readonly #provider: Provider;
  readonly #counts: TokenCounts = { inputTokens: 0, outputTokens: 0 };
  #isInputKnown = false;
  // Whether the answer said what the whole call used: a JSON answer's `usage`, Anthropic's
  // `message_delta`, OpenAI's usage chunk or `response.completed`. A stream cut before that (or
  // an answer without usage) leaves it false, and `counts` short of what the provider bills.
  #isFinal = false;
  #anthropicSearches = 0;
  // OpenAI Responses `web_search_call` output items seen, by id (a stream names each twice).
  readonly #searchCalls = new Set<string>();
  #error: { code: string; message: string } | undefined;

  constructor(provider: Provider) {
    this.#provider = provider;
  }

  get counts(): TokenCounts {
    return { ...this.#counts };
  }

  /**
   * What to charge for the call: its counts once final; before that, the call's `estimate` where
   * the answer said less (input only when no usage was seen at all, output always).
   */
  chargedCounts(estimate: TokenCounts): TokenCounts {
    if (this.#isFinal) return this.counts;
    return {
      ...this.#counts,
      inputTokens: this.#isInputKnown ? this.#counts.inputTokens : estimate.inputTokens,
      outputTokens: Math.max(this.#counts.outputTokens, estimate.outputTokens),
    };
  }

  /**
   * The web searches the provider reported running for the call, each billed on top of tokens:
   * Anthropic's `usage.server_tool_use.web_search_requests`, OpenAI Responses `web_search_call`
   * output items.
   */
  get webSearches(): number {
    return this.#anthropicSearches + this.#searchCalls.size;
  }

  /** An error the provider reported inside a stream (Anthropic `event: error`). */
  get streamError(): { code: string; message: string } | undefined {
    return this.#error;
  }

  /** Reads `usage` from a non-streaming answer. */
  readBody(body: unknown): void {
    if (typeof body !== 'object' || body === null) return;
    if (this.#provider === Provider.OpenAi && 'output' in body) this.#readOutput(body.output);
    if ('usage' in body) this.#readUsage(body.usage, true);
  }

  /** Reads one event of a streaming answer. */
  readEvent(event: SseEvent): void {
    // Usage and errors are all this reads: most events of a stream (text deltas) name neither,
    // and are not worth a JSON.parse (a key spelled with escapes would be missed; none is).
    const isSearch = event.data.includes('web_search_call');
    if (!isSearch && !event.data.includes('usage') && !event.data.includes('error')) return;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (typeof data !== 'object' || data === null) return;
    // Most events are deltas: only those with an `error` field are checked against its shape.
    const error = 'error' in data ? ErrorShape.safeParse(data) : undefined;
    if (error?.success) {
      const { type, code, message } = error.data.error;
      this.#error = { code: type ?? code ?? 'stream_error', message: message ?? '' };
      return;
    }
    if (this.#provider === Provider.Anthropic && 'message' in data) {
      const message = data.message;
      // `message_start`: the input, and the output so far; the total comes in `message_delta`.
      if (typeof message === 'object' && message !== null && 'usage' in message) {
        this.#readUsage(message.usage, false);
      }
    }
    if ('usage' in data && data.usage !== null) this.#readUsage(data.usage, true);
    // Responses API streams: `response.completed` carries the whole response with its usage.
    if (this.#provider === Provider.OpenAi && 'response' in data) {
      const response = data.response;
      if (typeof response === 'object' && response !== null && 'usage' in response) {
        if (response.usage !== null) this.#readUsage(response.usage, true);
      }
      if (isSearch && typeof response === 'object' && response !== null && 'output' in response) {
        this.#readOutput(response.output);
      }
    }
    // `response.output_item.added` / `.done`: searches count before the stream ends.
    if (this.#provider === Provider.OpenAi && isSearch && 'item' in data) {
      this.#readOutput([data.item]);
    }
  }

  /** Counts the `web_search_call` items of a Responses `output`. */
  #readOutput(output: unknown): void {
    if (!Array.isArray(output)) return;
    for (const [index, item] of output.entries()) {
      if (typeof item !== 'object' || item === null || !('type' in item)) continue;
      if (item.type !== 'web_search_call') continue;
      const id = 'id' in item && typeof item.id === 'string' ? item.id : `#${index}`;
      this.#searchCalls.add(id);
    }
  }

  #readUsage(usage: unknown, isFinal: boolean): void {
    switch (this.#provider) {
      case Provider.Anthropic: {
        const parsed = AnthropicUsage.safeParse(usage);
        if (!parsed.success) return;
        this.#readAnthropic(parsed.data);
        if (parsed.data.input_tokens !== undefined) this.#isInputKnown = true;
        if (isFinal) this.#isFinal = true;
        return;
      }
      case Provider.OpenAi: {
        const isResponses = typeof usage === 'object' && usage !== null && 'input_tokens' in usage;
        if (isResponses) {
          const parsed = ResponsesUsage.safeParse(usage);
          if (!parsed.success) return;
          const { input_tokens, output_tokens, input_tokens_details } = parsed.data;
          this.#setOpenAi(input_tokens, output_tokens, input_tokens_details?.cached_tokens ?? 0);
          return;
        }
        const parsed = OpenAiUsage.safeParse(usage);
        if (!parsed.success) return;
        const { prompt_tokens, completion_tokens, prompt_tokens_details } = parsed.data;
        this.#setOpenAi(
          prompt_tokens,
          completion_tokens,
          prompt_tokens_details?.cached_tokens ?? 0,
        );
        return;
      }
    }
  }

  // OpenAI reports usage once, at the end: it is final.
  #setOpenAi(input: number, output: number, cached: number): void {
    this.#isInputKnown = true;
    this.#isFinal = true;
    this.#counts.inputTokens = Math.max(0, input - cached);
    this.#counts.outputTokens = output;
    if (cached > 0) this.#counts.cacheReadTokens = cached;
  }

  // Anthropic streams report usage twice (message_start, then cumulative in message_delta); a
  // field present later replaces the earlier value, an absent one keeps it.
  #readAnthropic(usage: AnthropicUsage): void {
    if (usage.input_tokens !== undefined) this.#counts.inputTokens = usage.input_tokens;
    if (usage.output_tokens !== undefined) this.#counts.outputTokens = usage.output_tokens;
    const searches = usage.server_tool_use?.web_search_requests;
    if (searches !== undefined)
      this.#anthropicSearches = Math.max(this.#anthropicSearches, searches);
    if (typeof usage.cache_read_input_tokens === 'number' && usage.cache_read_input_tokens > 0) {
      this.#counts.cacheReadTokens = usage.cache_read_input_tokens;
    }
    if (
      typeof usage.cache_creation_input_tokens === 'number' &&
      usage.cache_creation_input_tokens > 0
    ) {
      this.#counts.cacheWriteTokens = usage.cache_creation_input_tokens;
    }
  }
}
