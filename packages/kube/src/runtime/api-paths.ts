/**
 * Where each kind of object a sandbox owns lives in the Kubernetes API: the one table from
 * `apiVersion`/`kind` to REST paths (core kinds under `/api/v1`, the others under
 * `/apis/<group>/<version>`). Every kind here is namespaced.
 */
import { ErrorCode, PaddockError } from '@paddock/core';

/** A kind the pod runtime writes, reads or deletes. */
export type ApiResource = {
  apiVersion: string;
  kind: string;
  /** The resource's plural name in its paths. */
  plural: string;
};

/** Every kind of object of a sandbox instance, in the order provision applies them. */
export const INSTANCE_RESOURCES = [
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
  { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', plural: 'ciliumnetworkpolicies' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
] as const satisfies readonly ApiResource[];

export type InstanceKind = (typeof INSTANCE_RESOURCES)[number]['kind'];

/**
 * The pod subresources the runtime uses and how: exec (the main process's gate, processes,
 * files; a WebSocket upgrade is authorized as `get` by older API servers, `create` by newer),
 * the main process's log; port-forward (`connectPort`).
 */
export const INSTANCE_SUBRESOURCES = [
  { resource: 'pods/exec', verbs: ['get', 'create'] },
  { resource: 'pods/log', verbs: ['get'] },
  { resource: 'pods/portforward', verbs: ['get', 'create'] },
] as const;

/**
 * Paddock's kinds the runtime reads (`get`) before it writes objects they will own, since objects
 * of an owner that does not exist are garbage-collected: the Sandbox (provision, a warm claim)
 * and a warm entry's SandboxTemplate.
 */
export const OWNER_KINDS = [
  { apiVersion: 'paddock.dev/v1alpha1', kind: 'Sandbox', plural: 'sandboxes' },
  { apiVersion: 'paddock.dev/v1alpha1', kind: 'SandboxTemplate', plural: 'sandboxtemplates' },
] as const;

/** The group-version prefix of an `apiVersion`: `/api/v1` for the core group, else `/apis/…`. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The table's entry for `apiVersion`/`kind`; `validation_failed` for a kind it does not hold. */
export function apiResource(apiVersion: string, kind: string): ApiResource {
  const found = INSTANCE_RESOURCES.find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (found === undefined) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `the pod runtime does not write ${kind} (${apiVersion})`,
      { issues: [{ path: 'kind', message: `unknown kind ${apiVersion}/${kind}` }] },
    );
  }
  return found;
}

/**
 * The path of the collection of `resource` in `namespace` (across every namespace when absent),
 * or of the object `name` in it.
 */
export function resourcePath(
  resource: Pick<ApiResource, 'apiVersion' | 'plural'>,
  namespace: string | undefined,
  name?: string,
): string {
  let path = groupVersionPath(resource.apiVersion);
  if (namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${resource.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  return path;
}

/** A built object: enough to address it. */
export type AddressedObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
};

/** The path of one built object (its kind, namespace and name). */
export function objectPath(object: AddressedObject): string {
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace;
  if (name === undefined || namespace === undefined) {
    throw new PaddockError(
      ErrorCode.Internal,
      `${object.kind} without a name or namespace cannot be applied`,
    );
  }
  return resourcePath(apiResource(object.apiVersion, object.kind), namespace, name);
}
