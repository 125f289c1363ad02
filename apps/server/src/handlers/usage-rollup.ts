/**
 * Pure roll-ups of usage cells (see `UsageCellReader`): totals, groups, stacked days and budget
 * burn-downs. Costs are summed at full precision and rounded to the micro-dollar once, at the end.
 */
import type { ModelUsage, UsageBudget, UsageDay, UsageGroupBy } from '@paddock/api';
import type { UsageCell } from '@paddock/core';

export const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** `usd` rounded to the micro-dollar. */
export const microUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

export const emptyUsage = (): ModelUsage => ({
  costUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  calls: 0,
});

export function addCell(usage: ModelUsage, cell: UsageCell): void {
  usage.costUsd += cell.costUsd;
  usage.inputTokens += cell.inputTokens;
  usage.outputTokens += cell.outputTokens;
  usage.calls += cell.calls;
}

export function rounded<T extends { costUsd: number }>(usage: T): T {
  return { ...usage, costUsd: microUsd(usage.costUsd) };
}

/** The key of a cell under `groupBy`: an agent is `namespace/name`, `''` for an inline agent. */
export function cellKey(cell: UsageCell, groupBy: UsageGroupBy): string {
  switch (groupBy) {
    case 'namespace':
      return cell.namespace;
    case 'user':
      return cell.user;
    case 'agent':
      return cell.agent === undefined ? '' : `${cell.namespace}/${cell.agent}`;
    case 'model':
      return cell.model;
  }
}

export function startOfUtcDayMs(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS) * DAY_MS;
}

/** Every UTC day `[sinceMs, untilMs)` touches, with its usage and, with `groupBy`, its stack. */
export function usageDays(
  cells: readonly UsageCell[],
  sinceMs: number,
  untilMs: number,
  groupBy: UsageGroupBy | undefined,
): UsageDay[] {
  const days = new Map<string, { usage: ModelUsage; stack: Map<string, number> }>();
  for (let t = startOfUtcDayMs(sinceMs); t < untilMs; t += DAY_MS) {
    days.set(new Date(t).toISOString().slice(0, 10), { usage: emptyUsage(), stack: new Map() });
  }
  for (const cell of cells) {
    const day = days.get(cell.hour.slice(0, 10));
    if (day === undefined) continue;
    addCell(day.usage, cell);
    if (groupBy === undefined) continue;
    const key = cellKey(cell, groupBy);
    day.stack.set(key, (day.stack.get(key) ?? 0) + cell.costUsd);
  }
  return [...days].map(([day, { usage, stack }]) => ({
    day,
    usage: rounded(usage),
    ...(groupBy === undefined
      ? {}
      : {
          stack: [...stack]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([key, costUsd]) => ({ key, costUsd: microUsd(costUsd) })),
        }),
  }));
}

/**
 * The burn-down of one daily budget on the UTC day starting at `dayStartMs`, from `cells` of
 * that day already narrowed to the budget's scope: what remained at the end of each hour up to
 * the one holding `nowMs`.
 */
export function burnDown(
  scope: UsageBudget['scope'],
  key: string,
  limitUsd: number,
  cells: readonly UsageCell[],
  dayStartMs: number,
  nowMs: number,
): UsageBudget {
  const byHour = new Map<string, number>();
  for (const cell of cells) byHour.set(cell.hour, (byHour.get(cell.hour) ?? 0) + cell.costUsd);
  const points: UsageBudget['burnDown'] = [];
  let spent = 0;
  for (let t = dayStartMs; t < dayStartMs + DAY_MS && t <= nowMs; t += HOUR_MS) {
    const hour = new Date(t).toISOString();
    spent += byHour.get(hour.slice(0, 13)) ?? 0;
    points.push({ hour, remainingUsd: microUsd(limitUsd - spent) });
  }
  const spentUsd = [...byHour.values()].reduce((sum, usd) => sum + usd, 0);
  return {
    scope,
    key,
    limitUsd,
    spentUsd: microUsd(spentUsd),
    day: new Date(dayStartMs).toISOString().slice(0, 10),
    burnDown: points,
  };
}
