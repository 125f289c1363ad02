/**
 * Paddock's Grafana dashboard (JSON model): the controller's leadership, reconciles, queues,
 * API requests and events, and the server's sandboxes, warm pools, requests and latencies.
 * Fixed text: a `namespace` variable picks the installation.
 */

export type Panel = { title: string; unit: string; targets: Array<[expr: string, legend: string]> };

/** The controller's panels; `sel` is a label selector with its braces. */
function controllerPanels(sel: string): Panel[] {
  return [
    {
      title: 'Controller leader',
      unit: 'short',
      targets: [[`sum(paddock_controller_leader${sel})`, 'leaders']],
    },
    {
      title: 'Reconciles per second',
      unit: 'ops',
      targets: [
        [`sum by (result) (rate(paddock_controller_reconciles_total${sel}[5m]))`, '{{result}}'],
      ],
    },
    {
      title: 'Reconcile duration p95',
      unit: 's',
      targets: [
        [
          `histogram_quantile(0.95, sum by (le) (rate(paddock_controller_reconcile_duration_seconds_bucket${sel}[5m])))`,
          'p95',
        ],
      ],
    },
    {
      title: 'Work queue depth',
      unit: 'short',
      targets: [
        [`sum by (controller) (paddock_controller_queue_depth${sel})`, '{{controller}}'],
        [`sum(paddock_controller_event_queue_depth${sel})`, 'events'],
      ],
    },
    {
      title: 'Kubernetes API requests per second',
      unit: 'reqps',
      targets: [
        [
          `sum by (verb, code) (rate(paddock_kube_api_requests_total${sel}[5m]))`,
          '{{verb}} {{code}}',
        ],
      ],
    },
    {
      title: 'Events recorded',
      unit: 'ops',
      targets: [
        [`sum by (outcome) (rate(paddock_controller_events_total${sel}[5m]))`, '{{outcome}}'],
      ],
    },
  ];
}

/** The server's panels (its `/metrics`); `sel` is a label selector with its braces. */
export function serverPanels(sel: string): Panel[] {
  return [
    {
      title: 'Sandboxes by phase',
      unit: 'short',
      targets: [[`max by (phase) (paddock_sandboxes${sel})`, '{{phase}}']],
    },
    {
      title: 'Warm pool ready',
      unit: 'short',
      targets: [[`max by (template) (paddock_warm_pool_ready${sel})`, '{{template}}']],
    },
    {
      title: 'Warm pool hits and misses',
      unit: 'short',
      targets: [
        [`max by (template) (paddock_warm_pool_hits_total${sel})`, 'hits {{template}}'],
        [`max by (template) (paddock_warm_pool_misses_total${sel})`, 'misses {{template}}'],
      ],
    },
    {
      title: 'HTTP requests per second',
      unit: 'reqps',
      targets: [[`sum by (status) (rate(paddock_http_requests_total${sel}[5m]))`, '{{status}}']],
    },
    {
      title: 'Sandbox create p95',
      unit: 's',
      targets: [
        [
          `histogram_quantile(0.95, sum by (le) (rate(paddock_sandbox_create_duration_seconds_bucket${sel}[5m])))`,
          'p95',
        ],
      ],
    },
    {
      title: 'Commands run',
      unit: 'ops',
      targets: [[`sum by (result) (rate(paddock_execs_total${sel}[5m]))`, '{{result}}']],
    },
  ];
}

const PANELS: readonly Panel[] = [
  ...controllerPanels('{namespace="$namespace"}'),
  ...serverPanels('{namespace="$namespace"}'),
];

/** The metric names the dashboard reads (for tests). */
export const DASHBOARD_METRICS = [
  ...new Set(
    PANELS.flatMap((p) => p.targets.map(([expr]) => expr.match(/paddock_[a-z_]+/)?.[0] ?? '')),
  ),
];

/** The JSON model of a dashboard of `panels`, two per row, with a data source variable. */
export function grafanaDashboard(options: {
  title: string;
  uid: string;
  panels: readonly Panel[];
  /** A `label_values(...)` variable picking the installation, e.g. `namespace`. */
  variable: { name: string; label: string; query: string };
}) {
  // Grafana's variable syntax, not a JavaScript template.
  const datasource = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };
  const { variable } = options;
  return {
    title: options.title,
    uid: options.uid,
    tags: ['paddock'],
    schemaVersion: 39,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' },
        {
          name: variable.name,
          type: 'query',
          label: variable.label,
          datasource,
          query: variable.query,
          refresh: 2,
        },
      ],
    },
    panels: options.panels.map((panel, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: panel.title,
      datasource,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map(([expr, legendFormat], t) => ({
        refId: String.fromCharCode(65 + t),
        datasource,
        expr,
        legendFormat,
      })),
    })),
  };
}

export function paddockDashboard() {
  return grafanaDashboard({
    title: 'Paddock',
    uid: 'paddock',
    panels: PANELS,
    variable: {
      name: 'namespace',
      label: 'Namespace',
      query: 'label_values(paddock_controller_leader, namespace)',
    },
  });
}
