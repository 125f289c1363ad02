import type { UsageBudget, UsageGroupBy, UsageQuery, UsageReport, UsageTotals } from '@paddock/api';
import { canSee, isAdmin, isVisible, ownerOf, type Principal } from '@paddock/control';
import { type AnyResource, ErrorCode, PaddockError, type UsageCell } from '@paddock/core';
import type { ServerDeps } from '../server-deps.ts';
import { readDailyBudgets } from './daily-budgets.ts';
import {
  addCell,
  burnDown,
  cellKey,
  DAY_MS,
  emptyUsage,
  rounded,
  startOfUtcDayMs,
  usageDays,
} from './usage-rollup.ts';

type Totals = UsageTotals;
const zero = (): Totals => ({ ...emptyUsage(), runs: 0, sandboxSeconds: 0 });

/** The window of a query: today (UTC) so far by default; `until` must come after `since`. */
function windowOf(query: UsageQuery, nowMs: number): { sinceMs: number; untilMs: number } {
  const sinceMs = query.since === undefined ? startOfUtcDayMs(nowMs) : Date.parse(query.since);
  const untilMs = query.until === undefined ? nowMs : Date.parse(query.until);
  if (untilMs <= sinceMs) {
    // The schema checks a pair; a lone `since` is checked against now here.
    const path = query.until === undefined ? 'query.since' : 'query.until';
    const message = query.until === undefined ? 'must be before now' : 'must be after since';
    throw new PaddockError(ErrorCode.ValidationFailed, `${path}: ${message}`, {
      issues: [{ path, message }],
    });
  }
  return { sinceMs, untilMs };
}

/**
 * The calls the caller may see, from the gateway's ledger: admins every user's (or `query.user`'s),
 * a user only their own, a principal without a role none.
 */
async function visibleCells(
  deps: ServerDeps,
  principal: Principal,
  window: { since: Date; until: Date },
  filter: { namespace?: string; user?: string },
): Promise<UsageCell[]> {
  let { user } = filter;
  if (!isAdmin(principal)) {
    if (!canSee(principal, principal.id, undefined)) return [];
    if (user !== undefined && user !== principal.id) return [];
    user = principal.id;
  }
  return deps.engine.usage.cells({
    ...window,
    ...(filter.namespace === undefined ? {} : { namespace: filter.namespace }),
    ...(user === undefined ? {} : { user }),
  });
}

/** The key of a run or a sandbox under `groupBy`; model usage alone is split by model. */
function resourceKey(resource: AnyResource, groupBy: UsageGroupBy): string | undefined {
  switch (groupBy) {
    case 'namespace':
      return resource.metadata.namespace ?? '';
    case 'user':
      return ownerOf(resource) ?? '';
    case 'agent':
      if (resource.kind !== 'Run') return undefined;
      return resource.spec.agentRef === undefined
        ? ''
        : `${resource.metadata.namespace ?? ''}/${resource.spec.agentRef.name}`;
    case 'model':
      return undefined;
  }
}

/**
 * The usage report over `[since, until)`: model cost, tokens and calls from the gateway's ledger
 * (by day, and by `groupBy`), runs created and sandbox time from the store, and the burn-down of
 * each daily budget on the window's last UTC day. A user sees only their own usage.
 */
export async function usageReport(
  deps: ServerDeps,
  principal: Principal,
  query: UsageQuery,
): Promise<UsageReport> {
  const nowMs = Date.now();
  const { sinceMs, untilMs } = windowOf(query, nowMs);
  const filter = {
    ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
    ...(query.user === undefined ? {} : { user: query.user }),
  };
  const cells = await visibleCells(
    deps,
    principal,
    { since: new Date(sinceMs), until: new Date(untilMs) },
    filter,
  );
  const total = zero();
  const groups = new Map<string, Totals>();
  const inGroup = (key: string | undefined, apply: (t: Totals) => void) => {
    if (key === undefined) return;
    const group = groups.get(key) ?? zero();
    apply(group);
    groups.set(key, group);
  };
  for (const cell of cells) {
    addCell(total, cell);
    if (query.groupBy !== undefined) inGroup(cellKey(cell, query.groupBy), (t) => addCell(t, cell));
  }
  const inScope = (resource: AnyResource) =>
    isVisible(principal, resource) &&
    (query.user === undefined || ownerOf(resource) === query.user);
  const scope = query.namespace === undefined ? {} : { namespace: query.namespace };
  for (const run of (await deps.engine.store.list('Run', scope)).items) {
    if (!inScope(run)) continue;
    const created = Date.parse(run.metadata.creationTimestamp ?? '');
    if (!(created >= sinceMs && created < untilMs)) continue;
    total.runs += 1;
    if (query.groupBy !== undefined) {
      inGroup(resourceKey(run, query.groupBy), (t) => {
        t.runs += 1;
      });
    }
  }
  for (const sandbox of (await deps.engine.store.list('Sandbox', scope)).items) {
    if (!inScope(sandbox) || sandbox.status?.startedAt === undefined) continue;
    const start = Math.max(sinceMs, Date.parse(sandbox.status.startedAt));
    // A window may end in the future (the rest of today): running time counts up to now.
    const windowEnd = Math.min(untilMs, nowMs);
    const stoppedAt =
      sandbox.status.phase === 'Running' ? windowEnd : Date.parse(sandbox.status.stoppedAt ?? '');
    const end = Math.min(windowEnd, Number.isNaN(stoppedAt) ? windowEnd : stoppedAt);
    if (end <= start) continue;
    const seconds = (end - start) / 1000;
    total.sandboxSeconds += seconds;
    if (query.groupBy !== undefined) {
      inGroup(resourceKey(sandbox, query.groupBy), (t) => {
        t.sandboxSeconds += seconds;
      });
    }
  }
  return {
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    ...(query.groupBy === undefined ? {} : { groupBy: query.groupBy }),
    total: rounded(total),
    ...(query.groupBy === undefined
      ? {}
      : {
          groups: [...groups]
            .map(([key, usage]) => ({ key, usage: rounded(usage) }))
            .sort((a, b) => b.usage.costUsd - a.usage.costUsd || (a.key < b.key ? -1 : 1)),
        }),
    days: usageDays(cells, sinceMs, untilMs, query.groupBy),
    budgets: await budgets(deps, principal, query, startOfUtcDayMs(untilMs - 1), nowMs),
  };
}

/**
 * The daily budgets on the UTC day starting at `dayStartMs`: every namespace budget (admins
 * only, as it counts everyone's calls) and the per-user budget of each user with calls that day
 * (a user: their own), its limit from the effective policy of `query.namespace` or the cluster's.
 */
async function budgets(
  deps: ServerDeps,
  principal: Principal,
  query: UsageQuery,
  dayStartMs: number,
  nowMs: number,
): Promise<UsageBudget[]> {
  if (dayStartMs > nowMs) return [];
  const daily = await readDailyBudgets(deps.engine.store);
  const window = { since: new Date(dayStartMs), until: new Date(dayStartMs + DAY_MS) };
  // Users' budgets count their calls in every namespace: no namespace filter here.
  const cells = await visibleCells(deps, principal, window, {});
  const out: UsageBudget[] = [];
  if (isAdmin(principal)) {
    for (const { namespace, limitUsd } of daily.namespaces) {
      if (query.namespace !== undefined && namespace !== query.namespace) continue;
      const mine = cells.filter((c) => c.namespace === namespace);
      out.push(burnDown('namespace', namespace, limitUsd, mine, dayStartMs, nowMs));
    }
  }
  const userLimit = daily.userLimitUsd(query.namespace);
  if (userLimit !== undefined) {
    const users = new Set(cells.map((c) => c.user));
    if (!isAdmin(principal) && canSee(principal, principal.id, undefined)) users.add(principal.id);
    for (const user of [...users].sort()) {
      if (query.user !== undefined && user !== query.user) continue;
      const mine = cells.filter((c) => c.user === user);
      out.push(burnDown('user', user, userLimit, mine, dayStartMs, nowMs));
    }
  }
  return out;
}
