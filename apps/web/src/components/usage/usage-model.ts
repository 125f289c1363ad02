import type { UsageReport } from '@paddock/api';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The windows the page offers, in whole UTC days ending today. */
export const USAGE_WINDOWS = [
  { id: 'today', label: 'Today', days: 1 },
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
] as const;
export type UsageWindowId = (typeof USAGE_WINDOWS)[number]['id'];

/** `[since, until)` of the last `days` UTC days, today included. */
export function windowOf(days: number, nowMs: number): { since: string; until: string } {
  const tomorrow = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS;
  return {
    since: new Date(tomorrow - days * DAY_MS).toISOString(),
    until: new Date(tomorrow).toISOString(),
  };
}

/** How many keys get their own colour; the rest are stacked together as "Other". */
export const MAX_SERIES = 7;
export const OTHER = 'Other';

/** A key as people read it: an inline agent's empty key is "(inline agent)". */
export function keyLabel(key: string): string {
  return key === '' ? '(none)' : key;
}

/** The stacked series: the top spenders by cost, then "Other" when there are more keys. */
export function seriesOf(report: UsageReport): string[] {
  const keys = (report.groups ?? []).filter((g) => g.usage.costUsd > 0).map((g) => g.key);
  return keys.length > MAX_SERIES ? [...keys.slice(0, MAX_SERIES), OTHER] : keys;
}

/** One day's stack in series order: each series' cost that day. */
export function dayStack(
  day: UsageReport['days'][number],
  series: readonly string[],
): Array<{ key: string; costUsd: number }> {
  const own = new Set(series.filter((k) => k !== OTHER));
  const cost = new Map<string, number>();
  for (const part of day.stack ?? []) {
    const key = own.has(part.key) ? part.key : OTHER;
    cost.set(key, (cost.get(key) ?? 0) + part.costUsd);
  }
  return series.map((key) => ({ key, costUsd: cost.get(key) ?? 0 }));
}

/** A round axis maximum at or above `value` (1, 2 or 5 times a power of ten). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
