/**
 * What every object `paddock install` renders shares: its name (the release's name and a
 * suffix), its labels (the selector `upgrade` prunes by and `uninstall` deletes by), and the
 * condition it is rendered on (`when`), which the Helm chart turns into `{{ if }}`.
 */
import { COMPONENT, MANAGED_BY, PART_OF } from '../objects/labels.ts';
import type { InstallValues } from './values.ts';

/** The field manager of every server-side apply of `paddock install`. */
export const INSTALL_FIELD_MANAGER = 'paddock-install';
/** `app.kubernetes.io/managed-by` of installed objects (sandbox objects say `paddock`). */
export const INSTALL_MANAGED_BY = 'paddock-install';

const INSTANCE = 'app.kubernetes.io/instance';

/** The parts of Paddock an object belongs to: `app.kubernetes.io/component`. */
export const InstallComponent = {
  Controller: 'controller',
  Server: 'server',
  Monitoring: 'monitoring',
  Namespace: 'namespace',
} as const;
export type InstallComponent = (typeof InstallComponent)[keyof typeof InstallComponent];

/** A rendered Kubernetes object: plain JSON. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
};

/**
 * When an object is rendered: every condition must hold. A value path names a boolean value
 * (`ingress.enabled`), or a string value that holds when it is not empty (`server.databaseUrl`,
 * as Helm's `if` reads a string); `!` before one holds when it does not; `prometheus-operator`
 * holds when `monitoring.prometheusOperator` is `enabled`, or `auto` and the cluster serves the
 * object's kind.
 */
export const BOOLEAN_VALUES = [
  'createNamespace',
  'server.enabled',
  'ingress.enabled',
  'networkPolicy.enabled',
  'monitoring.dashboard.enabled',
] as const;
export const STRING_VALUES = ['server.databaseUrl'] as const;
type ValueCondition = (typeof BOOLEAN_VALUES)[number] | (typeof STRING_VALUES)[number];
export type Condition = ValueCondition | `!${ValueCondition}` | 'prometheus-operator';

export type RenderedObject = { object: KubeObject; when: readonly Condition[] };

export function resourceName(values: InstallValues, suffix: string): string {
  return `${values.name}-${suffix}`;
}

/** Labels that select a component's pods (never change after the first install). */
export function selectorLabels(
  values: InstallValues,
  component: InstallComponent,
): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'paddock',
    [INSTANCE]: values.name,
    [COMPONENT]: component,
  };
}

export function installLabels(
  values: InstallValues,
  component: InstallComponent,
): Record<string, string> {
  return {
    ...selectorLabels(values, component),
    [PART_OF]: 'paddock',
    [MANAGED_BY]: INSTALL_MANAGED_BY,
  };
}

/** The label selector of every object a release owns: what `upgrade` prunes and `uninstall` deletes. */
export function releaseSelector(name: string): string {
  return `${MANAGED_BY}=${INSTALL_MANAGED_BY},${INSTANCE}=${name}`;
}

export function meta(
  values: InstallValues,
  suffix: string,
  component: InstallComponent,
  namespaced = true,
): KubeObject['metadata'] {
  return {
    name: resourceName(values, suffix),
    ...(namespaced ? { namespace: values.namespace } : {}),
    labels: installLabels(values, component),
  };
}
