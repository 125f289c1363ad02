import {
  BudgetLimit,
  costUsd,
  ErrorCode,
  PaddockError,
  type PriceTable,
  priceOf,
  type RunGrant,
  type TokenCounts,
  type UsageCap,
  type UsageLedger,
  UsageMetric,
} from '@paddock/core';
import { z } from 'zod';
import type { Refusal } from './provider-errors.ts';

/**
 * The limits that apply to one run's calls, computed by the composition root from the agent's
 * budget and the effective policy. Absent means unlimited. Daily limits count UTC days.
 */
export const BudgetLimits = z.strictObject({
  /** The run's spend in USD (the agent's `budget.maxUsd`, capped by policy). */
  runUsd: z.number().nonnegative().optional(),
  /** The run's input + output tokens (the agent's `budget.maxTokens`). */
  runTokens: z.int().nonnegative().optional(),
  /** The run owner's spend today, across all their runs. */
  userDailyUsd: z.number().nonnegative().optional(),
  /** The namespace's spend today, across all its runs. */
  namespaceDailyUsd: z.number().nonnegative().optional(),
});
export type BudgetLimits = z.infer<typeof BudgetLimits>;

/** The header naming the limit of a refusal: `maxUsd`, `maxTokens` or `dailyUsd`. */
export const BUDGET_LIMIT_HEADER = 'x-paddock-budget-limit';

/** A refusal over budget, with the limit that caused it. */
export type BudgetRefusal = Refusal & {
  limit: BudgetLimit;
  isModelUnpriced: boolean;
  /** Whether what was spent alone reached the limit (false: calls in flight hold the rest). */
  isSpent: boolean;
};

/** Midnight UTC of `now`'s day: where daily budgets start counting. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const usd = (amount: number) => `$${amount.toFixed(4)}`;

function refuse(
  limit: BudgetLimit,
  message: string,
  options: { isModelUnpriced?: boolean; isSpent?: boolean } = {},
): BudgetRefusal {
  const isModelUnpriced = options.isModelUnpriced ?? false;
  return {
    status: 402,
    type: isModelUnpriced ? 'model_not_priced' : 'budget_exceeded',
    message,
    headers: { [BUDGET_LIMIT_HEADER]: limit },
    limit,
    isModelUnpriced,
    isSpent: options.isSpent ?? true,
  };
}

/** How long a hold lasts when its call is never settled (the process died mid-call). */
export const HOLD_TTL_MS = 30 * 60_000;

/**
 * The output tokens an incomplete answer is charged at most (its own limit when lower): a stream
 * cut before its final usage, an answer without usage.
 */
export const OUTPUT_ESTIMATE_TOKENS = 4096;

/**
 * The output tokens a call that sets no output limit may produce, for its hold, when its model's
 * price names no `maxOutputTokens`: the largest of the default price table (gpt-5's 128 000).
 */
export const OUTPUT_CEILING_TOKENS = 128_000;

/** Request bytes per input token: the estimate's rule of thumb. */
const BYTES_PER_TOKEN = 4;

const OUTPUT_LIMIT_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

/** The call's own output limit per choice, when it sets one. */
function outputLimitOf(request: Record<string, unknown>): number | undefined {
  for (const field of OUTPUT_LIMIT_FIELDS) {
    const asked = request[field];
    if (typeof asked === 'number' && Number.isInteger(asked) && asked >= 0) return asked;
  }
  return undefined;
}

/** The `n` choices an OpenAI Chat Completions call asks for (the output limit is per choice). */
function choicesOf(request: Record<string, unknown>): number {
  const { n } = request;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/**
 * What a call is expected to use, charged when its answer ends without its final usage: its body
 * at 4 bytes a token in, and its own output limit (`max_tokens`, `max_completion_tokens` or
 * `max_output_tokens`), at most {@link OUTPUT_ESTIMATE_TOKENS}, out, for each of its `n` choices.
 */
export function estimateCall(request: Record<string, unknown>, bodyBytes: number): TokenCounts {
  const limit = outputLimitOf(request);
  const outputTokens = Math.min(limit ?? OUTPUT_ESTIMATE_TOKENS, OUTPUT_ESTIMATE_TOKENS);
  return {
    inputTokens: Math.ceil(bodyBytes / BYTES_PER_TOKEN),
    outputTokens: outputTokens * choicesOf(request),
  };
}

/**
 * The most a call can use, which it holds while in flight: its body at 4 bytes a token in, and
 * its whole output limit out (when it sets none, its model's `maxOutputTokens`, else
 * {@link OUTPUT_CEILING_TOKENS}), for each of its `n` choices. Holding less would let calls
 * racing on one budget together spend past it by more than one call.
 */
export function worstCaseCall(
  request: Record<string, unknown>,
  bodyBytes: number,
  modelMaxOutputTokens?: number,
): TokenCounts {
  const perChoice = outputLimitOf(request) ?? modelMaxOutputTokens ?? OUTPUT_CEILING_TOKENS;
  return {
    inputTokens: Math.ceil(bodyBytes / BYTES_PER_TOKEN),
    outputTokens: perChoice * choicesOf(request),
  };
}

/**
 * The limit a USD budget of `limits` is reported as, when one applies: that of the first USD cap
 * of {@link capsOf}.
 */
export function usdLimitOf(limits: BudgetLimits): BudgetLimit | undefined {
  if (limits.runUsd !== undefined) return BudgetLimit.MaxUsd;
  if (limits.userDailyUsd !== undefined || limits.namespaceDailyUsd !== undefined) {
    return BudgetLimit.DailyUsd;
  }
  return undefined;
}

/** A cap of the ledger with the limit it enforces and how a refusal by it reads. */
type NamedCap = UsageCap & { limit: BudgetLimit; refusal(spent: number, held: number): string };

function capsOf(grant: RunGrant, limits: BudgetLimits, now: Date): NamedCap[] {
  const since = startOfUtcDay(now);
  const heldUsd = (held: number) => (held > 0 ? ` (+ ${usd(held)} held by calls in flight)` : '');
  const caps: NamedCap[] = [];
  if (limits.runUsd !== undefined) {
    const max = limits.runUsd;
    caps.push({
      scope: { runUid: grant.runUid },
      metric: UsageMetric.CostUsd,
      max,
      limit: BudgetLimit.MaxUsd,
      refusal: (spent, held) =>
        `run budget exceeded: spent ${usd(spent)}${heldUsd(held)} of ${usd(max)} (maxUsd)`,
    });
  }
  if (limits.runTokens !== undefined) {
    const max = limits.runTokens;
    caps.push({
      scope: { runUid: grant.runUid },
      metric: UsageMetric.Tokens,
      max,
      limit: BudgetLimit.MaxTokens,
      refusal: (spent, held) =>
        `run token budget exceeded: used ${spent}${held > 0 ? ` (+ ${held} held by calls in flight)` : ''} of ${max} tokens (maxTokens)`,
    });
  }
  if (limits.userDailyUsd !== undefined) {
    const max = limits.userDailyUsd;
    caps.push({
      scope: { user: grant.user, since },
      metric: UsageMetric.CostUsd,
      max,
      limit: BudgetLimit.DailyUsd,
      refusal: (spent, held) =>
        `daily budget of user "${grant.user}" exceeded: spent ${usd(spent)}${heldUsd(held)} of ${usd(max)} today (UTC) (dailyUsd)`,
    });
  }
  if (limits.namespaceDailyUsd !== undefined) {
    const max = limits.namespaceDailyUsd;
    caps.push({
      scope: { namespace: grant.namespace, since },
      metric: UsageMetric.CostUsd,
      max,
      limit: BudgetLimit.DailyUsd,
      refusal: (spent, held) =>
        `daily budget of namespace "${grant.namespace}" exceeded: spent ${usd(spent)}${heldUsd(held)} of ${usd(max)} today (UTC) (dailyUsd)`,
    });
  }
  return caps;
}

/**
 * Checks and charges a call of `grant` for `model` in one step: a refusal when the run, the
 * user's day or the namespace's day has already spent, with what calls in flight hold, at least
 * its limit, when the run's tokens (spent and held) reached `runTokens`, or when the model has
 * no price while a USD limit applies (the call could not be counted); otherwise the call's hold
 * (`hold`, its worst case, at the model's price) is stored under `id` and must be settled with
 * its record or released. No limit: nothing is held (`isHeld` false). A refusal's `isSpent` is
 * false when the limit is reached only with what calls in flight hold: it may have room again
 * once they end.
 */
export async function reserveBudget(input: {
  id: string;
  grant: RunGrant;
  model: string;
  hold: TokenCounts;
  /** What the call holds on top of its tokens' cost: the fees of the web searches it may run. */
  feesUsd?: number;
  limits: BudgetLimits;
  ledger: UsageLedger;
  prices: PriceTable;
  now: Date;
}): Promise<{ refusal: BudgetRefusal } | { isHeld: boolean }> {
  const { grant, model, limits, prices, now } = input;
  const caps = capsOf(grant, limits, now);
  const isPriced = priceOf(prices, model) !== undefined;
  const usdLimit = usdLimitOf(limits);
  if (usdLimit !== undefined && !isPriced) {
    const message = `model "${model}" has no price in the gateway's price table, and a USD budget (${usdLimit}) applies`;
    return { refusal: refuse(usdLimit, message, { isModelUnpriced: true }) };
  }
  if (caps.length === 0) return { isHeld: false };
  const outcome = await input.ledger.reserve(
    {
      ...grant,
      id: input.id,
      at: now.toISOString(),
      costUsd: (isPriced ? costUsd(prices, model, input.hold) : 0) + (input.feesUsd ?? 0),
      tokens: input.hold.inputTokens + input.hold.outputTokens,
      expiresAt: new Date(now.getTime() + HOLD_TTL_MS).toISOString(),
    },
    caps,
  );
  if (outcome.isAdmitted) return { isHeld: true };
  const cap = caps[outcome.cap];
  if (cap === undefined) {
    throw new PaddockError(ErrorCode.Internal, 'the ledger refused a call by an unknown cap');
  }
  const message = cap.refusal(outcome.spent, outcome.held);
  return { refusal: refuse(cap.limit, message, { isSpent: outcome.spent >= cap.max }) };
}
