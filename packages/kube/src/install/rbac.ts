/**
 * Least-privilege RBAC from one table: each row is a (group, resource, verbs) the controller
 * uses and why. The controller's ClusterRole and its Role (the Lease, in its own namespace) are
 * compiled from `CONTROLLER_PERMISSIONS`; a test compares the rows marked `controller` with every
 * request the controller makes against a real API server, and the `pod-runtime` rows come from
 * the pod runtime's own table of the kinds it writes (`INSTANCE_RESOURCES`).
 */
import { API_GROUP, KINDS } from '@paddock/core';
import type { ApiRequest } from '../client/kube-client.ts';
import { INSTANCE_RESOURCES, INSTANCE_SUBRESOURCES, OWNER_KINDS } from '../runtime/api-paths.ts';
import { InstallComponent, type KubeObject, meta, resourceName } from './install-meta.ts';
import type { InstallValues } from './values.ts';

/** The Lease `paddock controller` elects its leader on. */
export const CONTROLLER_LEASE = 'paddock-controller';
/** The Lease of the server replicas' election of the one that runs the run reconcilers. */
export const SERVER_RUNS_LEASE = 'paddock-server-runs';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** Where the controller's need for a permission is known from. */
export const PermissionSource = {
  /** Requests the controller's tests record against the test API server. */
  Controller: 'controller',
  /** The pod runtime's kinds (`INSTANCE_RESOURCES`), which the test server cannot serve. */
  PodRuntime: 'pod-runtime',
} as const;
export type PermissionSource = (typeof PermissionSource)[keyof typeof PermissionSource];

export type Permission = {
  group: string;
  /** The plural, with `/subresource` where there is one. */
  resource: string;
  verbs: readonly Verb[];
  /** `namespace`: only in the controller's own namespace (a Role); else every namespace. */
  scope: 'cluster' | 'namespace';
  resourceNames?: readonly string[];
  source: PermissionSource;
};

/**
 * What the pod runtime does to each kind of a sandbox instance: server-side apply (which needs
 * create for a new object and patch), get, list by label, merge patches (warm-pool claims), and
 * deletes; pods are also watched (waiting for a pod to start or go).
 */
const INSTANCE_VERBS: readonly Verb[] = ['get', 'list', 'create', 'patch', 'delete'];

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

const plural = (kind: keyof typeof KINDS) => KINDS[kind].plural;

/** Every permission the controller needs, each once. */
export const CONTROLLER_PERMISSIONS: readonly Permission[] = [
  // The sandbox, snapshot and volume controllers: their informers list and watch, they write
  // finalizers and status (and retention deletes snapshots). A write the API refuses as a
  // conflict reads the object's current version (the store's contract: the conflict names it),
  // and a delete reads the version it makes its precondition.
  ...[plural('Sandbox'), plural('SandboxSnapshot'), plural('Volume')].map(
    (resource): Permission => ({
      group: API_GROUP,
      resource,
      verbs: ['get', 'list', 'watch', 'update'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  ...(['Sandbox', 'SandboxSnapshot', 'Volume'] as const).map(
    (kind): Permission => ({
      group: API_GROUP,
      resource: `${plural(kind)}/status`,
      verbs: ['update'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  {
    group: API_GROUP,
    resource: plural('SandboxSnapshot'),
    verbs: ['delete'],
    scope: 'cluster',
    source: PermissionSource.Controller,
  },
  // Admission reads templates and policies from its informers' caches.
  ...(['SandboxTemplate', 'ClusterSandboxTemplate', 'Policy', 'ClusterPolicy'] as const).map(
    (kind): Permission => ({
      group: API_GROUP,
      resource: plural(kind),
      verbs: ['list', 'watch'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  // Events about Sandboxes in their namespaces: created, then their series patched.
  {
    group: 'events.k8s.io',
    resource: 'events',
    verbs: ['create', 'patch'],
    scope: 'cluster',
    source: PermissionSource.Controller,
  },
  // Leader election: the Lease is created once (create cannot be limited by name)…
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['create'],
    scope: 'namespace',
    source: PermissionSource.Controller,
  },
  // …then read, renewed and watched by its name.
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'update', 'watch'],
    scope: 'namespace',
    resourceNames: [CONTROLLER_LEASE],
    source: PermissionSource.Controller,
  },
  ...INSTANCE_RESOURCES.map(
    (r): Permission => ({
      group: groupOf(r.apiVersion),
      resource: r.plural,
      verbs: r.kind === 'Pod' ? [...INSTANCE_VERBS, 'watch'] : INSTANCE_VERBS,
      scope: 'cluster',
      source: PermissionSource.PodRuntime,
    }),
  ),
  // The controller opens a sandbox's start gate and reads its processes through exec.
  ...INSTANCE_SUBRESOURCES.map(
    (r): Permission => ({
      group: '',
      resource: r.resource,
      verbs: [...r.verbs],
      scope: 'cluster',
      source: PermissionSource.PodRuntime,
    }),
  ),
  // It reads the owner of what it writes: the Sandbox, a warm entry's SandboxTemplate.
  ...OWNER_KINDS.map(
    (r): Permission => ({
      group: groupOf(r.apiVersion),
      resource: r.plural,
      verbs: ['get'],
      scope: 'cluster',
      source: PermissionSource.PodRuntime,
    }),
  ),
];

/**
 * The server's permissions: the API's reads and writes of every Paddock kind, the status of Runs
 * (its run reconcilers), timelines (it reads Events and records its own), what its pod runtime
 * does in sandboxes (exec, port-forward, logs), its keys (Secrets), the election of its run
 * reconcilers (a Lease), and the admins' read-only cluster views
 * (namespaces, pods, services, Events, pod logs). Checked against the calls the server makes
 * (`cluster-rbac.test.ts`, `cluster-views.test.ts` of the server).
 */
export const SERVER_PERMISSIONS: readonly Permission[] = [
  ...Object.values(KINDS).map(
    (k): Permission => ({
      group: API_GROUP,
      resource: k.plural,
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  ...Object.values(KINDS).map(
    (k): Permission => ({
      group: API_GROUP,
      resource: `${k.plural}/status`,
      verbs: ['get', 'update', 'patch'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  ...['pods', 'pods/log', 'services'].map(
    (resource): Permission => ({
      group: '',
      resource,
      verbs: ['get', 'list', 'watch'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  // The admins' read-only cluster views (`/api/v1/cluster/…`) list namespaces; their pods,
  // services, Events and pod logs are read through the rows above.
  {
    group: '',
    resource: 'namespaces',
    verbs: ['list'],
    scope: 'cluster',
    source: PermissionSource.Controller,
  },
  ...['pods/exec', 'pods/portforward'].map(
    (resource): Permission => ({
      group: '',
      resource,
      verbs: ['get', 'create'],
      scope: 'cluster',
      source: PermissionSource.Controller,
    }),
  ),
  {
    group: 'events.k8s.io',
    resource: 'events',
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
    scope: 'cluster',
    source: PermissionSource.Controller,
  },
  // Named credentials and the server's keys are Secrets in Paddock's own namespace.
  {
    group: '',
    resource: 'secrets',
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    scope: 'namespace',
    source: PermissionSource.Controller,
  },
  // The replicas elect the one that runs the run reconcilers: the Lease is created once…
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['create'],
    scope: 'namespace',
    source: PermissionSource.Controller,
  },
  // …then read, renewed and watched by its name.
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'update', 'watch'],
    scope: 'namespace',
    resourceNames: [SERVER_RUNS_LEASE],
    source: PermissionSource.Controller,
  },
];

export type PolicyRule = {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
};

/** Rules of `scope`: rows with the same group, verbs and names share one rule; stable order. */
export function policyRules(
  permissions: readonly Permission[],
  scope: Permission['scope'],
): PolicyRule[] {
  const rules = new Map<string, PolicyRule>();
  for (const p of permissions.filter((row) => row.scope === scope)) {
    const verbs = [...p.verbs].sort();
    const names = p.resourceNames === undefined ? undefined : [...p.resourceNames].sort();
    const key = JSON.stringify([p.group, verbs, names]);
    const rule = rules.get(key) ?? {
      apiGroups: [p.group],
      resources: [],
      verbs,
      ...(names === undefined ? {} : { resourceNames: names }),
    };
    if (!rule.resources.includes(p.resource)) rule.resources.push(p.resource);
    rules.set(key, rule);
  }
  for (const rule of rules.values()) rule.resources.sort();
  return [...rules.values()].sort((a, b) =>
    JSON.stringify([a.apiGroups, a.resources]).localeCompare(
      JSON.stringify([b.apiGroups, b.resources]),
    ),
  );
}

type Who = { component: InstallComponent; suffix: string; permissions: readonly Permission[] };

const WHO: readonly Who[] = [
  {
    component: InstallComponent.Controller,
    suffix: 'controller',
    permissions: CONTROLLER_PERMISSIONS,
  },
  { component: InstallComponent.Server, suffix: 'server', permissions: SERVER_PERMISSIONS },
];

function rbacFor(values: InstallValues, who: Who) {
  const account = resourceName(values, who.suffix);
  const subjects = [{ kind: 'ServiceAccount', name: account, namespace: values.namespace }];
  const serviceAccount: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(values, who.suffix, who.component),
    automountServiceAccountToken: false,
  };
  const clusterRole: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(values, who.suffix, who.component, false),
    rules: policyRules(who.permissions, 'cluster'),
  };
  const clusterRoleBinding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(values, who.suffix, who.component, false),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account },
    subjects,
  };
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(values, who.suffix, who.component),
    rules: policyRules(who.permissions, 'namespace'),
  };
  const roleBinding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(values, who.suffix, who.component),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
    subjects,
  };
  return { serviceAccount, clusterRole, clusterRoleBinding, role, roleBinding };
}

/** The controller's and the server's ServiceAccounts, roles and bindings. */
export function rbacObjects(values: InstallValues) {
  const [controller, server] = WHO.map((who) => rbacFor(values, who));
  if (controller === undefined || server === undefined) throw new Error('unreachable');
  return { controller, server };
}

export type Access = {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
};

/** What RBAC checks for a request: its verb, group, resource (with subresource), namespace, name. */
export function accessOf(request: ApiRequest): Access | 'discovery' {
  const parts = request.path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const [root, ...rest] = parts;
  const afterVersion = root === 'api' ? rest.slice(1) : rest.slice(2);
  const group = root === 'api' ? '' : (rest[0] ?? '');
  if (afterVersion.length === 0) return 'discovery';
  let namespace: string | undefined;
  let tail = afterVersion;
  if (tail[0] === 'namespaces' && tail.length > 2) {
    namespace = tail[1];
    tail = tail.slice(2);
  }
  const [plural = '', name, subresource] = tail;
  const method = request.method.toUpperCase();
  const verb =
    request.watch === true
      ? 'watch'
      : method === 'GET'
        ? name === undefined
          ? 'list'
          : 'get'
        : method === 'POST'
          ? 'create'
          : method === 'PUT'
            ? 'update'
            : method === 'PATCH'
              ? 'patch'
              : name === undefined
                ? 'deletecollection'
                : 'delete';
  return {
    verb,
    group,
    resource: subresource === undefined ? plural : `${plural}/${subresource}`,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
}
