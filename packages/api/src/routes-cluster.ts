import { NamespaceName, ResourceName, Timestamp } from '@paddock/core';
import { z } from 'zod';
import { LabelSelectorQuery, QueryBoolean } from './list.ts';
import { type AnyRoute, defineRoute, json, text } from './route.ts';
import { ClusterParams, NamespaceParams } from './routes-resources.ts';

// Read-only views of the Kubernetes cluster a server runs on (`paddock server --kubeconfig |
// --in-cluster`), for admins: summaries of core objects, never whole manifests. A server without
// a Kubernetes backend answers every route here `runtime_unavailable`, except `getClusterInfo`.

const base = '/api/v1/cluster';
const tags = ['Cluster'] as const;
const auth = 'required' as const;

/** A pod name: a DNS subdomain (`web-0`, `job.v2-abc`). */
const PodName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "must be lowercase letters, digits, '-' and '.', starting and ending alphanumeric",
  );

export const ClusterPodParams = z.strictObject({ namespace: NamespaceName, name: PodName });

/** Which backend holds this server's sandboxes: `kubernetes` only where the cluster routes work. */
export const ClusterInfo = z.object({ backend: z.enum(['kubernetes', 'local']) });
export type ClusterInfo = z.infer<typeof ClusterInfo>;

/** Query of the cluster lists: a label selector and a page (`limit` 1–1000, default 500). */
export const ClusterListQuery = z.strictObject({
  labelSelector: LabelSelectorQuery.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
});
export type ClusterListQuery = z.output<typeof ClusterListQuery>;

/** When an object was created and how old it is, in whole seconds. */
const Age = {
  createdAt: Timestamp.optional(),
  ageSeconds: z.int().nonnegative().optional(),
};

const Labels = z.record(z.string(), z.string());

export const ClusterNamespace = z.object({
  name: z.string(),
  /** `Active` or `Terminating`. */
  phase: z.string().optional(),
  labels: Labels.optional(),
  ...Age,
});
export type ClusterNamespace = z.infer<typeof ClusterNamespace>;

export const ClusterContainer = z.object({
  name: z.string(),
  image: z.string().optional(),
  ready: z.boolean(),
  restarts: z.int().nonnegative(),
  /** `running`, `waiting` or `terminated`; `unknown` before the kubelet reports it. */
  state: z.enum(['running', 'waiting', 'terminated', 'unknown']),
  /** Why it waits or ended (`CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `Completed`). */
  reason: z.string().optional(),
  message: z.string().optional(),
  exitCode: z.int().optional(),
  /** Why the previous run of this container ended, when it restarted. */
  lastTerminationReason: z.string().optional(),
  ports: z
    .array(z.object({ name: z.string().optional(), containerPort: z.int(), protocol: z.string() }))
    .optional(),
});

export const ClusterPod = z.object({
  name: z.string(),
  namespace: z.string(),
  /** The pod's phase: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  phase: z.string(),
  /** What `kubectl get pods` shows in STATUS: a waiting reason, `Terminating`, or the phase. */
  status: z.string(),
  /** Ready containers of all (`1/2`). */
  ready: z.string(),
  restarts: z.int().nonnegative(),
  node: z.string().optional(),
  podIP: z.string().optional(),
  hostIP: z.string().optional(),
  /** The pod's reason and message (`Evicted`, …). */
  reason: z.string().optional(),
  message: z.string().optional(),
  /** Conditions that do not hold, with why (`PodScheduled: Unschedulable`). */
  failingConditions: z
    .array(
      z.object({
        type: z.string(),
        status: z.string(),
        reason: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .optional(),
  containers: z.array(ClusterContainer),
  /** The controller that owns it: `ReplicaSet/web-7d9f`, `StatefulSet/db`. */
  owner: z.string().optional(),
  labels: Labels.optional(),
  startedAt: Timestamp.optional(),
  ...Age,
});
export type ClusterPod = z.infer<typeof ClusterPod>;

export const ClusterService = z.object({
  name: z.string(),
  namespace: z.string(),
  /** `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`. */
  type: z.string(),
  clusterIP: z.string().optional(),
  externalIPs: z.array(z.string()).optional(),
  /** Load balancer addresses (IPs or hostnames). */
  loadBalancer: z.array(z.string()).optional(),
  externalName: z.string().optional(),
  ports: z.array(
    z.object({
      name: z.string().optional(),
      protocol: z.string(),
      port: z.int(),
      targetPort: z.union([z.int(), z.string()]).optional(),
      nodePort: z.int().optional(),
    }),
  ),
  selector: Labels.optional(),
  ...Age,
});
export type ClusterService = z.infer<typeof ClusterService>;

export const ClusterEvent = z.object({
  /** `Normal` or `Warning`. */
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  /** The object it is about: `Pod/web-0`. */
  object: z.string(),
  count: z.int().positive(),
  firstTime: Timestamp.optional(),
  lastTime: Timestamp.optional(),
  /** Who reported it (`kubelet`, `default-scheduler`, `paddock.dev/controller`). */
  source: z.string().optional(),
});
export type ClusterEvent = z.infer<typeof ClusterEvent>;

/** A page of summaries; `continue` is present when more remain (pass it back as `?continue=`). */
function pageOf<const K extends string, S extends z.ZodType>(kind: K, item: S) {
  return z.object({ kind: z.literal(kind), items: z.array(item), continue: z.string().optional() });
}

export const ClusterNamespaceList = pageOf('ClusterNamespaceList', ClusterNamespace);
export const ClusterPodList = pageOf('ClusterPodList', ClusterPod);
export const ClusterServiceList = pageOf('ClusterServiceList', ClusterService);
/** Events, newest first. */
export const ClusterEventList = pageOf('ClusterEventList', ClusterEvent);

/** Query of a pod's log: which container (required when it has several), the last lines. */
export const ClusterPodLogsQuery = z.strictObject({
  container: ResourceName.optional(),
  tailLines: z.coerce.number().int().min(0).max(100_000).optional(),
  /** The log of the container's previous run (after a crash or restart). */
  previous: QueryBoolean.optional(),
  /** At most this many bytes (default and maximum 1 MiB). */
  limitBytes: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .optional(),
});

const adminOnly =
  'Admins only (a user is forbidden). runtime_unavailable when this server does not run on Kubernetes.';

/** Read-only views of the cluster, by operationId. */
export const CLUSTER_ROUTES = {
  getClusterInfo: defineRoute({
    operationId: 'getClusterInfo',
    method: 'GET',
    path: base,
    summary: 'Which backend this server runs on: kubernetes (cluster routes work) or local',
    tags,
    auth,
    params: ClusterParams,
    responses: [{ status: 200, description: 'The backend', content: [json(ClusterInfo)] }],
  }),
  listClusterNamespaces: defineRoute({
    operationId: 'listClusterNamespaces',
    method: 'GET',
    path: `${base}/namespaces`,
    summary: "The cluster's namespaces, summarised",
    description: adminOnly,
    tags,
    auth,
    params: ClusterParams,
    query: ClusterListQuery,
    responses: [
      { status: 200, description: 'The namespaces', content: [json(ClusterNamespaceList)] },
    ],
  }),
  listClusterPods: defineRoute({
    operationId: 'listClusterPods',
    method: 'GET',
    path: `${base}/namespaces/{namespace}/pods`,
    summary: 'Pods of a namespace, summarised: phase, readiness, restarts, node, IPs, reasons',
    description: adminOnly,
    tags,
    auth,
    params: NamespaceParams,
    query: ClusterListQuery,
    responses: [{ status: 200, description: 'The pods', content: [json(ClusterPodList)] }],
  }),
  listClusterServices: defineRoute({
    operationId: 'listClusterServices',
    method: 'GET',
    path: `${base}/namespaces/{namespace}/services`,
    summary: 'Services of a namespace, summarised: type, IPs, ports, selector',
    description: adminOnly,
    tags,
    auth,
    params: NamespaceParams,
    query: ClusterListQuery,
    responses: [{ status: 200, description: 'The services', content: [json(ClusterServiceList)] }],
  }),
  listClusterEvents: defineRoute({
    operationId: 'listClusterEvents',
    method: 'GET',
    path: `${base}/namespaces/{namespace}/events`,
    summary: 'Kubernetes Events of a namespace, newest first',
    description: adminOnly,
    tags,
    auth,
    params: NamespaceParams,
    query: ClusterListQuery,
    responses: [{ status: 200, description: 'The events', content: [json(ClusterEventList)] }],
  }),
  getClusterPodLogs: defineRoute({
    operationId: 'getClusterPodLogs',
    method: 'GET',
    path: `${base}/namespaces/{namespace}/pods/{name}/logs`,
    summary: "A pod container's log (stdout and stderr as the kubelet keeps them)",
    description: `${adminOnly} validation_failed when the pod has several containers and none is named.`,
    tags,
    auth,
    params: ClusterPodParams,
    query: ClusterPodLogsQuery,
    responses: [
      { status: 200, description: 'The log', content: [text('text/plain; charset=utf-8')] },
    ],
  }),
} as const;

export const clusterRouteList: readonly AnyRoute[] = Object.values(CLUSTER_ROUTES);
