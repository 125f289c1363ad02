/**
 * Monitoring objects: ServiceMonitors for the controller and the server, a PrometheusRule with
 * Paddock's alerts (rendered when prometheus-operator's CRDs are there), and a Grafana
 * dashboard ConfigMap. Every expression uses metrics that exist: the controller's
 * (`metrics/controller-metrics.ts`), the server's (`/metrics`), and the kubelet's volume stats.
 */
import { paddockDashboard } from './dashboard.ts';
import { InstallComponent, type KubeObject, meta, selectorLabels } from './install-meta.ts';
import type { InstallValues } from './values.ts';

export const MONITORING_API = 'monitoring.coreos.com/v1';

function serviceMonitor(
  values: InstallValues,
  suffix: string,
  component: InstallComponent,
  port: string,
): KubeObject {
  const metadata = meta(values, suffix, component);
  return {
    apiVersion: MONITORING_API,
    kind: 'ServiceMonitor',
    metadata: { ...metadata, labels: { ...metadata.labels, ...values.monitoring.labels } },
    spec: {
      selector: { matchLabels: selectorLabels(values, component) },
      namespaceSelector: { matchNames: [values.namespace] },
      endpoints: [{ port, path: '/metrics', interval: values.monitoring.scrapeInterval }],
    },
  };
}

export function serviceMonitors(values: InstallValues) {
  return {
    controller: serviceMonitor(values, 'controller', InstallComponent.Controller, 'metrics'),
    server: serviceMonitor(values, 'server', InstallComponent.Server, 'http'),
  };
}

/** The alerts, by name: what each watches is in its `description`. */
export function prometheusRule(values: InstallValues): KubeObject {
  const m = values.monitoring;
  const ns = `namespace="${values.namespace}"`;
  const metadata = meta(values, 'alerts', InstallComponent.Monitoring);
  const rule = (
    alert: string,
    expr: string,
    forDuration: string,
    severity: string,
    summary: string,
    description: string,
  ) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description },
  });
  return {
    apiVersion: MONITORING_API,
    kind: 'PrometheusRule',
    metadata: { ...metadata, labels: { ...metadata.labels, ...m.labels } },
    spec: {
      groups: [
        {
          name: 'paddock',
          rules: [
            rule(
              'PaddockControllerDown',
              `absent(paddock_controller_leader{${ns}}) or sum(paddock_controller_leader{${ns}}) < 1`,
              '5m',
              'critical',
              'No Paddock controller leads',
              'No paddock controller reports leading (paddock_controller_leader): sandboxes are not reconciled.',
            ),
            rule(
              'PaddockSandboxesStuckCreating',
              `max(paddock_sandboxes{${ns},phase="Creating"}) > 0`,
              m.stuckCreatingFor,
              'warning',
              'Sandboxes stay in Creating',
              'Some sandboxes have been Creating for a long time: see the Warning events of their Sandbox (kubectl get events).',
            ),
            rule(
              'PaddockWarmPoolEmpty',
              `max by (template) (paddock_warm_pool_ready{${ns}}) == 0`,
              m.warmPoolEmptyFor,
              'warning',
              'A warm pool has no ready sandbox',
              'The warm pool of template {{ $labels.template }} has no ready entry: creates start cold.',
            ),
            rule(
              'PaddockBudgetNearLimit',
              `max by (paddock_namespace) (paddock_budget_namespace_spent_today_usd{${ns}}) / max by (paddock_namespace) (paddock_budget_namespace_daily_limit_usd{${ns}}) > ${m.budgetNearRatio}`,
              '5m',
              'warning',
              'A namespace is near its daily model budget',
              'Namespace {{ $labels.paddock_namespace }} has spent {{ $value | humanizePercentage }} of its daily budget: runs are refused past it.',
            ),
            rule(
              'PaddockWorkspaceVolumeAlmostFull',
              `kubelet_volume_stats_used_bytes{persistentvolumeclaim=~".+-workspace"} / kubelet_volume_stats_capacity_bytes{persistentvolumeclaim=~".+-workspace"} > ${m.volumeFullRatio}`,
              '5m',
              'warning',
              'A sandbox workspace volume is almost full',
              'Workspace {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full.',
            ),
          ],
        },
      ],
    },
  };
}

/** The dashboard as a ConfigMap Grafana's sidecar loads (by its labels). */
export function dashboardConfigMap(values: InstallValues): KubeObject {
  const metadata = meta(values, 'dashboard', InstallComponent.Monitoring);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, ...values.monitoring.dashboard.labels },
    },
    data: { 'paddock.json': `${JSON.stringify(paddockDashboard(), null, 2)}\n` },
  };
}
