import { statfs } from 'node:fs/promises';
import { gauge, type MetricLabels } from '@paddock/http';
import type { Engine } from '../engine.ts';
import type { ServerDeps } from '../server-deps.ts';
import { readDailyBudgets } from './daily-budgets.ts';

/** The Prometheus text: server counters plus gauges read at scrape time. */
export async function renderMetrics(deps: ServerDeps): Promise<string> {
  const { metrics, engine } = deps;
  const byPhase = new Map<string, number>();
  for (const sandbox of (await engine.store.list('Sandbox')).items) {
    const phase = sandbox.status?.phase ?? 'Pending';
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
  }
  const runsByPhase = new Map<string, number>();
  for (const run of (await engine.store.list('Run')).items) {
    const phase = run.status?.phase ?? 'Pending';
    runsByPhase.set(phase, (runsByPhase.get(phase) ?? 0) + 1);
  }
  const pools = engine.controller.warmPool.stats();
  const sections = [
    gauge(
      'paddock_runs',
      'Runs by phase',
      [...runsByPhase].map(([phase, n]) => [{ phase }, n]),
    ),
    gauge(
      'paddock_sandboxes',
      'Sandboxes by phase',
      [...byPhase].map(([phase, n]) => [{ phase }, n]),
    ),
    gauge(
      'paddock_warm_pool_ready',
      'Ready warm-pool entries by template',
      pools.map((p) => [{ template: p.template }, p.ready]),
    ),
    gauge(
      'paddock_warm_pool_hits_total',
      'Creates served from a warm pool, by template',
      pools.map((p) => [{ template: p.template }, p.hits]),
    ),
    gauge(
      'paddock_warm_pool_misses_total',
      'Creates that found no ready warm-pool entry, by template',
      pools.map((p) => [{ template: p.template }, p.misses]),
    ),
    ...(await budgetGauges(engine)),
    ...(await homeDiskGauges(deps.config.home)),
    metrics.runsFinished.render(),
    metrics.execs.render(),
    metrics.httpRequests.render(),
    metrics.createLatency.render(),
  ];
  return `${sections.join('\n')}\n`;
}

/**
 * Today's model spend beside the daily budget of each namespace whose effective policy sets one
 * (see `readDailyBudgets`), so an alert can fire before runs are refused for `budget_exceeded`.
 * The label is `paddock_namespace`: Prometheus gives `namespace` to the scraped pod's own.
 */
async function budgetGauges(engine: Engine): Promise<string[]> {
  const { namespaces } = await readDailyBudgets(engine.store);
  const spent: Array<[MetricLabels, number]> = [];
  const limits: Array<[MetricLabels, number]> = [];
  for (const { namespace, limitUsd } of namespaces) {
    const today = await engine.spentToday({ user: '', namespace });
    spent.push([{ paddock_namespace: namespace }, today.namespaceSpentTodayUsd]);
    limits.push([{ paddock_namespace: namespace }, limitUsd]);
  }
  return [
    gauge(
      'paddock_budget_namespace_spent_today_usd',
      'Model spend today (UTC) of each namespace with a daily budget',
      spent,
    ),
    gauge(
      'paddock_budget_namespace_daily_limit_usd',
      'The daily budget (maxUsdPerNamespacePerDay) of each namespace that has one',
      limits,
    ),
  ];
}

/**
 * The size and the space available (to the server's user) of the filesystem holding the data
 * directory (`PADDOCK_HOME`): the database, the sandboxes' workspaces and the logs live there.
 */
async function homeDiskGauges(home: string): Promise<string[]> {
  const stats = await statfs(home);
  return [
    gauge(
      'paddock_home_filesystem_size_bytes',
      'Size of the filesystem holding the data directory',
      [[{}, stats.blocks * stats.bsize]],
    ),
    gauge(
      'paddock_home_filesystem_avail_bytes',
      'Space available to the server on the filesystem holding the data directory',
      [[{}, stats.bavail * stats.bsize]],
    ),
  ];
}
