import { Timestamp } from '@paddock/core';
import { z } from 'zod';

/** Totals over a window, by the dimension asked for. */
export const UsageTotals = z.object({
  inputTokens: z.int().nonnegative(),
  outputTokens: z.int().nonnegative(),
  costUsd: z.number().nonnegative(),
  runs: z.int().nonnegative(),
  sandboxSeconds: z.number().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

export const UsageGroupBy = z.enum(['namespace', 'user', 'agent', 'model']);

/** Query of `usage`: a window (`since` inclusive, `until` exclusive; today UTC by default). */
export const UsageQuery = z.strictObject({
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  groupBy: UsageGroupBy.optional(),
  namespace: z.string().min(1).optional(),
});

export const UsageReport = z.object({
  since: z.string(),
  until: z.string(),
  total: UsageTotals,
  /** Present with `groupBy`: one row per key. */
  groups: z.array(z.object({ key: z.string(), usage: UsageTotals })).optional(),
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
