/**
 * Discovery documents of the Kubernetes API surface, built from the kind registry (`KINDS`), so a
 * kind added there appears here with its plural, scope, short names and verbs: `/version`, `/api`
 * (no core resources), `/apis`, `/apis/paddock.dev`, `/apis/paddock.dev/v1alpha1` and the
 * aggregated discovery document (apidiscovery.k8s.io/v2).
 */
import { API_GROUP, API_VERSION, KIND_NAMES, KINDS, type Kind, Scope } from '@paddock/core';
import { crdFor } from '@paddock/kube';

export const GROUP_VERSION = API_VERSION;
export const VERSION = API_VERSION.slice(API_GROUP.length + 1);

/** The Kubernetes release whose API this surface follows (kubectl warns past one minor of skew). */
const KUBE_MINOR = '32';

export const RESOURCE_VERBS = [
  'create',
  'delete',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;
export const STATUS_VERBS = ['get', 'patch', 'update'] as const;

/** The content type of an aggregated discovery answer. */
export const AGGREGATED_DISCOVERY =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the client asked for the aggregated discovery document (kubectl does). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (
    accept !== undefined && /as=APIGroupDiscoveryList/.test(accept) && /v=v2(;|,|$)/.test(accept)
  );
}

export function versionInfo() {
  return {
    major: '1',
    minor: KUBE_MINOR,
    gitVersion: `v1.${KUBE_MINOR}.0-paddock`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: '',
    compiler: 'paddock',
    platform: `${process.platform}/${process.arch}`,
  };
}

/**
 * `/api`: no core versions, so no client asks for `/api/v1` (the REST API's prefix): this
 * surface serves no pods, namespaces or events.
 */
export function coreVersions() {
  return { kind: 'APIVersions', versions: [], serverAddressByClientCIDRs: [] };
}

function group() {
  const version = { groupVersion: GROUP_VERSION, version: VERSION };
  return { name: API_GROUP, versions: [version], preferredVersion: version };
}

export function groupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group()] };
}

export function groupDocument() {
  return { kind: 'APIGroup', apiVersion: 'v1', ...group() };
}

const singularOf = (kind: Kind) => kind.toLowerCase();

/** The categories of a kind, as its CRD declares them (`kubectl get paddock` lists every kind). */
function categoriesOf(kind: Kind): string[] {
  const names = crdFor(kind).spec.names as { categories?: string[] };
  return names.categories ?? [];
}

export function resourceList() {
  const resources = KIND_NAMES.flatMap((kind) => {
    const { plural, scope, shortNames } = KINDS[kind];
    const namespaced = scope === Scope.Namespaced;
    return [
      {
        name: plural,
        singularName: singularOf(kind),
        namespaced,
        kind,
        verbs: [...RESOURCE_VERBS],
        ...(shortNames.length > 0 ? { shortNames: [...shortNames] } : {}),
        categories: categoriesOf(kind),
      },
      { name: `${plural}/status`, singularName: '', namespaced, kind, verbs: [...STATUS_VERBS] },
    ];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GROUP_VERSION, resources };
}

/** The aggregated discovery document of `/apis` (Paddock's group) or `/api` (no groups). */
export function aggregatedDiscovery(isCore: boolean) {
  // No core group at all: a version without resources would still make `kubectl api-versions`
  // print `v1`.
  const items = isCore
    ? []
    : [
        {
          metadata: { name: API_GROUP },
          versions: [{ version: VERSION, resources: aggregatedResources(), freshness: 'Current' }],
        },
      ];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items,
  };
}

function aggregatedResources() {
  return KIND_NAMES.map((kind) => {
    const { plural, scope, shortNames } = KINDS[kind];
    const responseKind = { group: API_GROUP, version: VERSION, kind };
    return {
      resource: plural,
      responseKind,
      scope,
      singularResource: singularOf(kind),
      verbs: [...RESOURCE_VERBS],
      ...(shortNames.length > 0 ? { shortNames: [...shortNames] } : {}),
      categories: categoriesOf(kind),
      subresources: [{ subresource: 'status', responseKind, verbs: [...STATUS_VERBS] }],
    };
  });
}
