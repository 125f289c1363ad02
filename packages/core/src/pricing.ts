/**
 * What a model call costs: a price table (US dollars per million tokens, per model) and the cost
 * of a call's token counts. The gateway meters budgets with it; the built-in harness uses it to
 * show a running cost. Operators replace the default table with their own (contract prices,
 * self-hosted models at zero).
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

const UsdPerMTok = z.number().nonnegative();

export const ModelPrice = z.strictObject({
  /** A model id, or a prefix ending in `*` (`claude-sonnet-4*`). The longest match wins. */
  model: z.string().min(1),
  inputUsdPerMTok: UsdPerMTok,
  outputUsdPerMTok: UsdPerMTok,
  /** Cached input read; the input price when absent. */
  cacheReadUsdPerMTok: UsdPerMTok.optional(),
  /** Cache writes; the input price when absent. */
  cacheWriteUsdPerMTok: UsdPerMTok.optional(),
  /**
   * The most output tokens one answer of the model holds: what a call setting no output limit of
   * its own (`max_tokens`, …) holds of a budget while in flight. The gateway's ceiling when absent.
   */
  maxOutputTokens: z.int().positive().optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

export const PriceTable = z.strictObject({
  models: z.array(ModelPrice),
  /** The price of a model no entry matches; such models are refused where a USD budget applies when absent. */
  default: ModelPrice.omit({ model: true }).optional(),
});
export type PriceTable = z.infer<typeof PriceTable>;

/** Token counts of one call, as providers report them. */
export type TokenCounts = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
};

/** List prices of common models (USD per million tokens). Operators override the whole table. */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  models: [
    {
      model: 'claude-opus-4*',
      inputUsdPerMTok: 15,
      outputUsdPerMTok: 75,
      cacheReadUsdPerMTok: 1.5,
      cacheWriteUsdPerMTok: 18.75,
    },
    {
      model: 'claude-sonnet-4*',
      inputUsdPerMTok: 3,
      outputUsdPerMTok: 15,
      cacheReadUsdPerMTok: 0.3,
      cacheWriteUsdPerMTok: 3.75,
    },
    {
      model: 'claude-haiku-4*',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 5,
      cacheReadUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
    },
    {
      model: 'claude-3-5-haiku*',
      inputUsdPerMTok: 0.8,
      outputUsdPerMTok: 4,
      cacheReadUsdPerMTok: 0.08,
      cacheWriteUsdPerMTok: 1,
    },
    // Anthropic's Messages API requires max_tokens: no call of theirs needs maxOutputTokens.
    {
      model: 'gpt-4o-mini*',
      inputUsdPerMTok: 0.15,
      outputUsdPerMTok: 0.6,
      cacheReadUsdPerMTok: 0.075,
      maxOutputTokens: 16_384,
    },
    {
      model: 'gpt-4o*',
      inputUsdPerMTok: 2.5,
      outputUsdPerMTok: 10,
      cacheReadUsdPerMTok: 1.25,
      maxOutputTokens: 16_384,
    },
    {
      model: 'gpt-4.1*',
      inputUsdPerMTok: 2,
      outputUsdPerMTok: 8,
      cacheReadUsdPerMTok: 0.5,
      maxOutputTokens: 32_768,
    },
    {
      model: 'gpt-5*',
      inputUsdPerMTok: 1.25,
      outputUsdPerMTok: 10,
      cacheReadUsdPerMTok: 0.125,
      maxOutputTokens: 128_000,
    },
    {
      model: 'o4-mini*',
      inputUsdPerMTok: 1.1,
      outputUsdPerMTok: 4.4,
      cacheReadUsdPerMTok: 0.275,
      maxOutputTokens: 100_000,
    },
  ],
};

/** The entry pricing `model`: an exact id first, then the longest matching `prefix*`, then the default. */
export function priceOf(table: PriceTable, model: string): Omit<ModelPrice, 'model'> | undefined {
  let best: ModelPrice | undefined;
  for (const entry of table.models) {
    if (entry.model === model) return entry;
    if (!entry.model.endsWith('*')) continue;
    const prefix = entry.model.slice(0, -1);
    if (model.startsWith(prefix) && (best === undefined || prefix.length > best.model.length - 1)) {
      best = entry;
    }
  }
  return best ?? table.default;
}

/**
 * The cost in US dollars of a call's tokens. Throws `validation_failed` for a model the table
 * does not price (and has no default for): a budget must never silently count a call as free.
 */
export function costUsd(table: PriceTable, model: string, tokens: TokenCounts): number {
  const price = priceOf(table, model);
  if (price === undefined) {
    throw new PaddockError(ErrorCode.ValidationFailed, `no price for model "${model}"`, {
      issues: [{ path: 'model', message: `not in the price table: ${model}` }],
    });
  }
  const cacheRead = price.cacheReadUsdPerMTok ?? price.inputUsdPerMTok;
  const cacheWrite = price.cacheWriteUsdPerMTok ?? price.inputUsdPerMTok;
  return (
    (tokens.inputTokens * price.inputUsdPerMTok +
      tokens.outputTokens * price.outputUsdPerMTok +
      (tokens.cacheReadTokens ?? 0) * cacheRead +
      (tokens.cacheWriteTokens ?? 0) * cacheWrite) /
    1_000_000
  );
}
