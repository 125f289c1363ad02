import {
  BudgetLimit,
  type PriceTable,
  priceOf,
  type RunGrant,
  type UsageLedger,
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
export type BudgetRefusal = Refusal & { limit: BudgetLimit; isModelUnpriced: boolean };

/** Midnight UTC of `now`'s day: where daily budgets start counting. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const usd = (amount: number) => `$${amount.toFixed(4)}`;

function refuse(limit: BudgetLimit, message: string, isModelUnpriced = false): BudgetRefusal {
  return {
    status: 402,
    type: isModelUnpriced ? 'model_not_priced' : 'budget_exceeded',
    message,
    headers: { [BUDGET_LIMIT_HEADER]: limit },
    limit,
    isModelUnpriced,
  };
}

/**
 * Whether a call of `grant` for `model` may go ahead: a refusal when the run, the user's day or
 * the namespace's day has already spent at least its limit, when the run's tokens reached
 * `runTokens`, or when the model has no price while a USD limit applies (the call could not be
 * counted). `undefined` lets the call through.
 */
export async function checkBudget(input: {
  grant: RunGrant;
  model: string;
  limits: BudgetLimits;
  ledger: UsageLedger;
  prices: PriceTable;
  now: Date;
}): Promise<BudgetRefusal | undefined> {
  const { grant, model, limits, ledger } = input;
  const usdLimits: Array<[BudgetLimit, number | undefined]> = [
    [BudgetLimit.MaxUsd, limits.runUsd],
    [BudgetLimit.DailyUsd, limits.userDailyUsd],
    [BudgetLimit.DailyUsd, limits.namespaceDailyUsd],
  ];
  const firstUsd = usdLimits.find(([, amount]) => amount !== undefined);
  if (firstUsd !== undefined && priceOf(input.prices, model) === undefined) {
    return refuse(
      firstUsd[0],
      `model "${model}" has no price in the gateway's price table, and a USD budget (${firstUsd[0]}) applies`,
      true,
    );
  }

  if (limits.runUsd !== undefined || limits.runTokens !== undefined) {
    const run = await ledger.totals({ runUid: grant.runUid });
    if (limits.runUsd !== undefined && run.costUsd >= limits.runUsd) {
      return refuse(
        BudgetLimit.MaxUsd,
        `run budget exceeded: spent ${usd(run.costUsd)} of ${usd(limits.runUsd)} (maxUsd)`,
      );
    }
    const tokens = run.inputTokens + run.outputTokens;
    if (limits.runTokens !== undefined && tokens >= limits.runTokens) {
      return refuse(
        BudgetLimit.MaxTokens,
        `run token budget exceeded: used ${tokens} of ${limits.runTokens} tokens (maxTokens)`,
      );
    }
  }

  const since = startOfUtcDay(input.now);
  if (limits.userDailyUsd !== undefined) {
    const day = await ledger.totals({ user: grant.user, since });
    if (day.costUsd >= limits.userDailyUsd) {
      return refuse(
        BudgetLimit.DailyUsd,
        `daily budget of user "${grant.user}" exceeded: spent ${usd(day.costUsd)} of ${usd(limits.userDailyUsd)} today (UTC) (dailyUsd)`,
      );
    }
  }
  if (limits.namespaceDailyUsd !== undefined) {
    const day = await ledger.totals({ namespace: grant.namespace, since });
    if (day.costUsd >= limits.namespaceDailyUsd) {
      return refuse(
        BudgetLimit.DailyUsd,
        `daily budget of namespace "${grant.namespace}" exceeded: spent ${usd(day.costUsd)} of ${usd(limits.namespaceDailyUsd)} today (UTC) (dailyUsd)`,
      );
    }
  }
  return undefined;
}
