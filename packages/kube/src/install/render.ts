/**
 * `paddock install`'s objects in the order they are applied: the Namespace, service accounts and
 * RBAC, Services, Deployments, disruption budgets, network policies, the Ingress, monitoring.
 * The CRDs come first and apart (`paddockCrds()`): they must be Established before the rest.
 */
import { stringify } from 'yaml';
import { type CustomResourceDefinition, paddockCrds } from '../crds/crds.ts';
import {
  BOOLEAN_VALUES,
  type Condition,
  InstallComponent,
  installLabels,
  type KubeObject,
  type RenderedObject,
  STRING_VALUES,
} from './install-meta.ts';
import { dashboardConfigMap, prometheusRule, serviceMonitors } from './monitoring.ts';
import { ingress, networkPolicies } from './network.ts';
import { rbacObjects } from './rbac.ts';
import { type InstallValues, PrometheusOperatorMode } from './values.ts';
import { controllerWorkload, serverWorkload } from './workloads.ts';

/** What the cluster serves, for `monitoring.prometheusOperator: auto` (`kind` names). */
export type ClusterCapabilities = { monitoringKinds: ReadonlySet<string> };

export const NO_CAPABILITIES: ClusterCapabilities = { monitoringKinds: new Set() };

/**
 * Every object the values may render, each with the conditions it is rendered on. The Helm
 * chart is generated from this list; `renderInstall` keeps those whose conditions hold.
 */
export function renderCandidates(values: InstallValues): RenderedObject[] {
  const rbac = rbacObjects(values);
  const controller = controllerWorkload(values);
  const server = serverWorkload(values);
  const policies = networkPolicies(values);
  const monitors = serviceMonitors(values);
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: values.namespace,
      labels: {
        ...installLabels(values, InstallComponent.Namespace),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
  const always = (object: KubeObject): RenderedObject => ({ object, when: [] });
  const when = (object: KubeObject, ...conditions: Condition[]): RenderedObject => ({
    object,
    when: conditions,
  });
  return [
    when(namespace, 'createNamespace'),
    always(rbac.controller.serviceAccount),
    always(rbac.controller.clusterRole),
    always(rbac.controller.clusterRoleBinding),
    always(rbac.controller.role),
    always(rbac.controller.roleBinding),
    when(rbac.server.serviceAccount, 'server.enabled'),
    when(rbac.server.clusterRole, 'server.enabled'),
    when(rbac.server.clusterRoleBinding, 'server.enabled'),
    when(rbac.server.role, 'server.enabled'),
    when(rbac.server.roleBinding, 'server.enabled'),
    when(dashboardConfigMap(values), 'monitoring.dashboard.enabled'),
    always(controller.metricsService),
    when(server.service, 'server.enabled'),
    when(server.gatewayService, 'server.enabled'),
    when(server.dataClaim, 'server.enabled', '!server.databaseUrl'),
    always(controller.deployment),
    when(server.deployment, 'server.enabled', '!server.databaseUrl'),
    always(controller.disruptionBudget),
    when(server.disruptionBudget, 'server.enabled'),
    when(policies.controller, 'networkPolicy.enabled'),
    when(policies.server, 'networkPolicy.enabled', 'server.enabled'),
    when(policies.gateway, 'networkPolicy.enabled', 'server.enabled'),
    when(ingress(values), 'ingress.enabled', 'server.enabled'),
    when(monitors.controller, 'prometheus-operator'),
    when(monitors.server, 'prometheus-operator', 'server.enabled'),
    when(prometheusRule(values), 'prometheus-operator'),
    // With PostgreSQL, replicas: the database URL's Secret, and the Deployment without the
    // volume (last, so that the chart's earlier files keep their names).
    when(server.databaseSecret, 'server.enabled', 'server.databaseUrl'),
    when(server.sharedDeployment, 'server.enabled', 'server.databaseUrl'),
  ];
}

/** Whether `condition` holds for these values on a cluster with these capabilities. */
export function holds(
  condition: Condition,
  values: InstallValues,
  kind: string,
  capabilities: ClusterCapabilities,
): boolean {
  if (condition === 'prometheus-operator') {
    const mode = values.monitoring.prometheusOperator;
    return (
      mode === PrometheusOperatorMode.Enabled ||
      (mode === PrometheusOperatorMode.Auto && capabilities.monitoringKinds.has(kind))
    );
  }
  if (condition.startsWith('!')) {
    return !holds(condition.slice(1) as Condition, values, kind, capabilities);
  }
  const path = condition as (typeof BOOLEAN_VALUES)[number] | (typeof STRING_VALUES)[number];
  const isString = (STRING_VALUES as readonly string[]).includes(path);
  if (!isString && !(BOOLEAN_VALUES as readonly string[]).includes(path)) {
    throw new Error(`unknown condition ${condition}`);
  }
  let node: unknown = values;
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  return isString ? typeof node === 'string' && node !== '' : node === true;
}

/** The objects (CRDs apart) the values render on such a cluster, in apply order. */
export function renderInstall(
  values: InstallValues,
  capabilities: ClusterCapabilities = NO_CAPABILITIES,
): KubeObject[] {
  return renderCandidates(values)
    .filter(({ object, when }) => when.every((c) => holds(c, values, object.kind, capabilities)))
    .map(({ object }) => object);
}

export type InstallManifest = { crds: CustomResourceDefinition[]; objects: KubeObject[] };

export function installManifest(
  values: InstallValues,
  capabilities: ClusterCapabilities = NO_CAPABILITIES,
): InstallManifest {
  return { crds: paddockCrds(), objects: renderInstall(values, capabilities) };
}

/** Multi-document YAML, CRDs first, in apply order. */
export function manifestYaml(manifest: InstallManifest): string {
  return [...manifest.crds, ...manifest.objects]
    .map((object) => `---\n${stringify(object, { lineWidth: 0 })}`)
    .join('');
}
