import { Timestamp } from '@paddock/core';
import { z } from 'zod';

/** Model usage summed from the gateway's ledger: cost, tokens and calls (refused ones included). */
export const ModelUsage = z.object({
  costUsd: z.number().nonnegative(),
  inputTokens: z.int().nonnegative(),
  outputTokens: z.int().nonnegative(),
  calls: z.int().nonnegative(),
});
export type ModelUsage = z.infer<typeof ModelUsage>;

/**
 * Totals over a window: model usage from the gateway's ledger (cost rounded to the micro-dollar),
 * and the runs created and sandbox time spent in the window from the store.
 */
export const UsageTotals = ModelUsage.extend({
  runs: z.int().nonnegative(),
  sandboxSeconds: z.number().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

/** What `groups` and the stacks of `days` are keyed by (an agent's key is `namespace/name`). */
export const UsageGroupBy = z.enum(['namespace', 'user', 'agent', 'model']);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

/** The longest window a report covers. */
export const MAX_USAGE_WINDOW_DAYS = 366;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Query of `usage`: a window (`since` inclusive, `until` exclusive; today UTC by default, `until`
 * after `since`, at most 366 days), a dimension to group by and filters.
 */
export const UsageQuery = z
  .strictObject({
    since: Timestamp.optional(),
    until: Timestamp.optional(),
    groupBy: UsageGroupBy.optional(),
    namespace: z.string().min(1).optional(),
    /** Admins only see other users' usage; a user's report holds only their own calls. */
    user: z.string().min(1).optional(),
  })
  .superRefine((query, ctx) => {
    if (query.since === undefined || query.until === undefined) return;
    const sinceMs = Date.parse(query.since);
    const untilMs = Date.parse(query.until);
    if (untilMs <= sinceMs) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
    } else if (untilMs - sinceMs > MAX_USAGE_WINDOW_DAYS * DAY_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['since'],
        message: `the window is at most ${MAX_USAGE_WINDOW_DAYS} days`,
      });
    }
  });
export type UsageQuery = z.output<typeof UsageQuery>;

/** One key's share: a namespace, a user, an agent (`namespace/name`, `''` inline) or a model. */
export const UsageGroup = z.object({ key: z.string(), usage: UsageTotals });

/** One UTC day of the window; with `groupBy`, the day's cost split by key (the bar's stack). */
export const UsageDay = z.object({
  /** `2025-03-01` */
  day: z.string(),
  usage: ModelUsage,
  stack: z.array(z.object({ key: z.string(), costUsd: z.number().nonnegative() })).optional(),
});
export type UsageDay = z.infer<typeof UsageDay>;

export const UsageBudgetScope = z.enum(['namespace', 'user']);

/**
 * A daily budget's burn-down over the window's last UTC day: the limit, what is spent, and what
 * remained at the end of each hour so far.
 */
export const UsageBudget = z.object({
  scope: UsageBudgetScope,
  /** The namespace or the user. */
  key: z.string(),
  /** `maxUsdPerNamespacePerDay` or `maxUsdPerUserPerDay` of the effective policy. */
  limitUsd: z.number().nonnegative(),
  spentUsd: z.number().nonnegative(),
  day: z.string(),
  burnDown: z.array(z.object({ hour: z.string(), remainingUsd: z.number() })),
});
export type UsageBudget = z.infer<typeof UsageBudget>;

export const UsageReport = z.object({
  since: z.string(),
  until: z.string(),
  groupBy: UsageGroupBy.optional(),
  total: UsageTotals,
  /** Present with `groupBy`: one row per key, the top spender first. */
  groups: z.array(UsageGroup).optional(),
  /** Every UTC day the window touches, oldest first. */
  days: z.array(UsageDay),
  budgets: z.array(UsageBudget),
});
export type UsageReport = z.infer<typeof UsageReport>;

/** One warm pool: the template that declares it, its desired and ready size, hits and misses. */
export const WarmPoolStatus = z.object({
  /** `SandboxTemplate/<namespace>/<name>` or `ClusterSandboxTemplate/<name>`. */
  template: z.string(),
  desired: z.int().nonnegative(),
  ready: z.int().nonnegative(),
  hits: z.int().nonnegative(),
  misses: z.int().nonnegative(),
});
export type WarmPoolStatus = z.infer<typeof WarmPoolStatus>;

export const WarmPoolList = z.object({ items: z.array(WarmPoolStatus) });
export type WarmPoolList = z.infer<typeof WarmPoolList>;
