/** The resource a Kubernetes API path under `/apis/paddock.dev/v1alpha1/` names. */
import { KIND_NAMES, KINDS, type Kind, Scope } from '@paddock/core';
import { GROUP_VERSION } from './kube-discovery.ts';

export const GROUP_VERSION_PATH = `/apis/${GROUP_VERSION}`;

export type ResourcePath = {
  kind: Kind;
  /** The path's namespace; absent for cluster-scoped kinds and lists across namespaces. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | undefined;
};

const KIND_OF_PLURAL: ReadonlyMap<string, Kind> = new Map(
  KIND_NAMES.map((kind) => [KINDS[kind].plural, kind]),
);

/** The resource `pathname` names, or undefined when it names none this surface serves. */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  if (!pathname.startsWith(`${GROUP_VERSION_PATH}/`)) return undefined;
  const parts = pathname
    .slice(GROUP_VERSION_PATH.length + 1)
    .split('/')
    .map((part) => decodeURIComponent(part));
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [plural, name, subresource, ...rest] = parts;
  const kind = plural === undefined ? undefined : KIND_OF_PLURAL.get(plural);
  if (kind === undefined || rest.length > 0 || name === '') return undefined;
  if (subresource !== undefined && subresource !== 'status') return undefined;
  const isNamespaced = KINDS[kind].scope === Scope.Namespaced;
  if (!isNamespaced && namespace !== undefined) return undefined;
  // A namespaced kind names an object only inside a namespace.
  if (isNamespaced && namespace === undefined && name !== undefined) return undefined;
  return { kind, namespace, name, subresource };
}
