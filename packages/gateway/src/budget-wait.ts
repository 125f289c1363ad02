import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ChangeFeed } from '@paddock/core';
import { type BudgetRefusal, reserveBudget } from './budget.ts';
import type { Refusal } from './provider-errors.ts';

/**
 * How often a call waiting for budget checks again, for holds of other processes sharing the
 * ledger (a hold this process lets go of wakes it at once).
 */
export const BUDGET_RECHECK_MS = 250;

/** The `retry-after` of a call still refused after its wait: seconds until the SDK tries again. */
export const BUDGET_RETRY_AFTER_SECONDS = 5;

/**
 * {@link reserveBudget}, waiting while a limit is reached only with what calls in flight hold
 * (the refusal's `isSpent` is false): it checks again each time a call of this process lets go of
 * its hold (`holds` notifies), and every {@link BUDGET_RECHECK_MS}, until `waitMs` has passed or
 * the caller left (`res` closed). Then the last answer stands.
 */
export async function reserveBudgetWaiting(
  input: Parameters<typeof reserveBudget>[0],
  wait: { holds: ChangeFeed; waitMs: number; res: ServerResponse },
): ReturnType<typeof reserveBudget> {
  const deadline = performance.now() + wait.waitMs;
  let isChanged = false;
  let wake: (() => void) | undefined;
  const onChange = () => {
    isChanged = true;
    wake?.();
  };
  const unsubscribe = wait.holds.subscribe(onChange);
  wait.res.once('close', onChange);
  try {
    for (;;) {
      isChanged = false;
      const reserved = await reserveBudget(input);
      if (!('refusal' in reserved) || reserved.refusal.isSpent) return reserved;
      const leftMs = deadline - performance.now();
      if (leftMs <= 0 || wait.res.destroyed) return reserved;
      if (isChanged) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(leftMs, BUDGET_RECHECK_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    wait.res.off('close', onChange);
  }
}

/**
 * The answer to a call whose budget calls in flight still hold after its wait: 429 (SDKs retry
 * it after `retry-after`), not 402, since the budget may have room once they end.
 */
export function heldBudgetRefusal(refusal: BudgetRefusal): Refusal {
  return {
    status: 429,
    type: 'rate_limit_error',
    message: `${refusal.message}: calls in flight hold the rest of the budget; retry once they end`,
    headers: { ...refusal.headers, 'retry-after': String(BUDGET_RETRY_AFTER_SECONDS) },
  };
}
