/**
 * Monitoring objects: ServiceMonitors for the controller and the server, a PrometheusRule with
 * Paddock's alerts (rendered when prometheus-operator's CRDs are there), and a Grafana
 * dashboard ConfigMap. Every expression uses metrics that exist: the controller's
 * (`metrics/controller-metrics.ts`), the server's (`/metrics`), and the kubelet's volume stats.
 */
import { alertRule, runFailureRule, serverAlertRules } from './alert-rules.ts';
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
  return {
    apiVersion: MONITORING_API,
    kind: 'PrometheusRule',
    metadata: { ...metadata, labels: { ...metadata.labels, ...m.labels } },
    spec: {
      groups: [
        {
          name: 'paddock',
          rules: [
            alertRule(
              'PaddockControllerDown',
              `absent(paddock_controller_leader{${ns}}) or sum(paddock_controller_leader{${ns}}) < 1`,
              '5m',
              'critical',
              'No Paddock controller leads',
              'No paddock controller reports leading (paddock_controller_leader): sandboxes are not reconciled.',
            ),
            ...serverAlertRules(ns, m),
            runFailureRule(ns),
            alertRule(
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
