import type { UsageQuery } from '@paddock/api';
import type { Principal } from '@paddock/control';
import { isVisible } from '@paddock/control';
import type { z } from 'zod';
import type { ServerDeps } from '../server-deps.ts';

type Totals = {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  runs: number;
  sandboxSeconds: number;
};
const zero = (): Totals => ({
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  runs: 0,
  sandboxSeconds: 0,
});

function startOfTodayUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * Totals over `[since, until)` from what the store holds: runs created in the window with their
 * recorded usage, and the running time of visible sandboxes that overlaps the window.
 */
export async function usageReport(
  deps: ServerDeps,
  principal: Principal,
  query: z.output<typeof UsageQuery>,
) {
  const now = new Date();
  const sinceMs = Date.parse(query.since ?? startOfTodayUtc(now).toISOString());
  const untilMs = Date.parse(query.until ?? now.toISOString());
  const scope = query.namespace === undefined ? {} : { namespace: query.namespace };
  const total = zero();
  const groups = new Map<string, Totals>();
  const add = (key: string, apply: (t: Totals) => void) => {
    apply(total);
    if (query.groupBy === undefined) return;
    const group = groups.get(key) ?? zero();
    apply(group);
    groups.set(key, group);
  };
  const runs = await deps.engine.store.list('Run', scope);
  for (const run of runs.items) {
    if (!isVisible(principal, run)) continue;
    const created = Date.parse(run.metadata.creationTimestamp ?? '');
    if (!(created >= sinceMs && created < untilMs)) continue;
    const usage = run.status?.usage;
    const key =
      query.groupBy === 'namespace'
        ? (run.metadata.namespace ?? '')
        : (run.metadata.annotations?.['paddock.dev/owner'] ?? '');
    add(key, (t) => {
      t.runs += 1;
      t.inputTokens += usage?.inputTokens ?? 0;
      t.outputTokens += usage?.outputTokens ?? 0;
      t.costUsd += usage?.costUsd ?? 0;
    });
  }
  const sandboxes = await deps.engine.store.list('Sandbox', scope);
  for (const sandbox of sandboxes.items) {
    if (!isVisible(principal, sandbox) || sandbox.status?.startedAt === undefined) continue;
    const start = Math.max(sinceMs, Date.parse(sandbox.status.startedAt));
    const stoppedAt =
      sandbox.status.phase === 'Running' ? untilMs : Date.parse(sandbox.status.stoppedAt ?? '');
    const end = Math.min(untilMs, Number.isNaN(stoppedAt) ? untilMs : stoppedAt);
    if (end <= start) continue;
    const key =
      query.groupBy === 'namespace'
        ? (sandbox.metadata.namespace ?? '')
        : (sandbox.metadata.annotations?.['paddock.dev/owner'] ?? '');
    add(key, (t) => {
      t.sandboxSeconds += (end - start) / 1000;
    });
  }
  return {
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    total,
    ...(query.groupBy === undefined
      ? {}
      : { groups: [...groups].map(([key, usage]) => ({ key, usage })) }),
  };
}
