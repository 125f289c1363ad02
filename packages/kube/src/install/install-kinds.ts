/**
 * Where each kind `paddock install` renders lives in the Kubernetes API, in apply order: the one
 * table the applier, `upgrade`'s prune and `uninstall` read.
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import { resourcePath } from '../runtime/api-paths.ts';
import type { KubeObject } from './install-meta.ts';

export type InstallKind = {
  apiVersion: string;
  kind: string;
  plural: string;
  isNamespaced: boolean;
};

export const INSTALL_KINDS = [
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', isNamespaced: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', isNamespaced: true },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    isNamespaced: false,
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    isNamespaced: false,
  },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', isNamespaced: true },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    isNamespaced: true,
  },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', isNamespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', isNamespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', isNamespaced: true },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    isNamespaced: true,
  },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', isNamespaced: true },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    isNamespaced: true,
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    isNamespaced: true,
  },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', isNamespaced: true },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    plural: 'servicemonitors',
    isNamespaced: true,
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    plural: 'prometheusrules',
    isNamespaced: true,
  },
] as const satisfies readonly InstallKind[];

export function installKind(object: Pick<KubeObject, 'apiVersion' | 'kind'>): InstallKind {
  const found = INSTALL_KINDS.find(
    (k) => k.apiVersion === object.apiVersion && k.kind === object.kind,
  );
  if (found === undefined) {
    throw new PaddockError(
      ErrorCode.Internal,
      `paddock install does not know ${object.kind} (${object.apiVersion})`,
    );
  }
  return found;
}

/** The collection of a kind (every namespace when `namespace` is undefined), or one object. */
export function kindPath(kind: InstallKind, namespace?: string, name?: string): string {
  return resourcePath(kind, kind.isNamespaced ? namespace : undefined, name);
}

export function objectPathOf(object: KubeObject): string {
  return kindPath(installKind(object), object.metadata.namespace, object.metadata.name);
}
