import { terminalRunPhases } from '@paddock/core';
import { Counter, Histogram } from '@paddock/http';

/** The server's own metrics; sandbox, warm pool, budget and disk gauges are computed at scrape. */
export class ServerMetrics {
  /** Labelled by route template (never a raw path), method and status. */
  readonly httpRequests = new Counter(
    'paddock_http_requests_total',
    'HTTP requests by route template, method and status',
  );
  readonly execs = new Counter('paddock_execs_total', 'Commands run in sandboxes, by result');
  readonly createLatency = new Histogram(
    'paddock_sandbox_create_duration_seconds',
    'Time to answer a sandbox create (admission and store write)',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  /** Runs that reached an outcome while this server watched, by phase (every phase from 0). */
  readonly runsFinished = new Counter(
    'paddock_runs_finished_total',
    'Runs that reached an outcome, by phase (Succeeded, Failed, Cancelled, BudgetExceeded, TimedOut)',
  );

  constructor() {
    for (const phase of terminalRunPhases) this.runsFinished.inc({ phase }, 0);
  }
}
