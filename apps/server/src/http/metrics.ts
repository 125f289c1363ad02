import { Counter, Histogram } from '@paddock/http';

/** The server's own metrics; sandbox and warm pool gauges are computed at scrape. */
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
}
