import { gauge } from '@paddock/http';
import type { ServerDeps } from '../server-deps.ts';

/** The Prometheus text: server counters plus gauges read at scrape time. */
export async function renderMetrics(deps: ServerDeps): Promise<string> {
  const { metrics, engine } = deps;
  const byPhase = new Map<string, number>();
  for (const sandbox of (await engine.store.list('Sandbox')).items) {
    const phase = sandbox.status?.phase ?? 'Pending';
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
  }
  const pools = engine.controller.warmPool.stats();
  const sections = [
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
    metrics.execs.render(),
    metrics.httpRequests.render(),
    metrics.createLatency.render(),
  ];
  return `${sections.join('\n')}\n`;
}
