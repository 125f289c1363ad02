/**
 * Kubernetes core objects as the cluster routes summarise them: the fields an operator (or a
 * model) acts on — phase, readiness, restarts, node, IPs, ports, ages, reasons — never whole
 * manifests. Each answer of the API server is read through a loose zod schema of the fields used
 * (unknown fields pass, missing optional ones are fine), so a malformed answer fails here.
 */
import type { ClusterEvent, ClusterNamespace, ClusterPod, ClusterService } from '@paddock/api';
import { z } from 'zod';

const Meta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  ownerReferences: z
    .array(
      z.looseObject({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }),
    )
    .optional(),
});

/** A Kubernetes list answer: items and the token of the next page. */
export function kubeListOf<S extends z.ZodType>(item: S) {
  return z.looseObject({
    metadata: z.looseObject({ continue: z.string().optional() }).optional(),
    items: z.array(item),
  });
}

export const KubeNamespace = z.looseObject({
  metadata: Meta,
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});

const StateDetail = z.looseObject({
  reason: z.string().optional(),
  message: z.string().optional(),
  exitCode: z.number().optional(),
});
const ContainerState = z.looseObject({
  running: z.looseObject({ startedAt: z.string().optional() }).optional(),
  waiting: StateDetail.optional(),
  terminated: StateDetail.optional(),
});

export const KubePod = z.looseObject({
  metadata: Meta,
  spec: z
    .looseObject({
      nodeName: z.string().optional(),
      containers: z.array(
        z.looseObject({
          name: z.string(),
          image: z.string().optional(),
          ports: z
            .array(
              z.looseObject({
                name: z.string().optional(),
                containerPort: z.number(),
                protocol: z.string().optional(),
              }),
            )
            .optional(),
        }),
      ),
    })
    .optional(),
  status: z
    .looseObject({
      phase: z.string().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      podIP: z.string().optional(),
      hostIP: z.string().optional(),
      startTime: z.string().optional(),
      conditions: z
        .array(
          z.looseObject({
            type: z.string(),
            status: z.string(),
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .optional(),
      containerStatuses: z
        .array(
          z.looseObject({
            name: z.string(),
            ready: z.boolean().optional(),
            restartCount: z.number().optional(),
            state: ContainerState.optional(),
            lastState: ContainerState.optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
export type KubePod = z.infer<typeof KubePod>;

export const KubeService = z.looseObject({
  metadata: Meta,
  spec: z
    .looseObject({
      type: z.string().optional(),
      clusterIP: z.string().optional(),
      externalIPs: z.array(z.string()).optional(),
      externalName: z.string().optional(),
      selector: z.record(z.string(), z.string()).optional(),
      ports: z
        .array(
          z.looseObject({
            name: z.string().optional(),
            protocol: z.string().optional(),
            port: z.number(),
            targetPort: z.union([z.number(), z.string()]).optional(),
            nodePort: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  status: z
    .looseObject({
      loadBalancer: z
        .looseObject({
          ingress: z
            .array(z.looseObject({ ip: z.string().optional(), hostname: z.string().optional() }))
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** An `events.k8s.io/v1` Event (core/v1 Events are the same objects, seen through this API). */
export const KubeEvent = z.looseObject({
  metadata: Meta,
  type: z.string().optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  regarding: z.looseObject({ kind: z.string().optional(), name: z.string().optional() }).optional(),
  eventTime: z.string().nullable().optional(),
  deprecatedFirstTimestamp: z.string().nullable().optional(),
  deprecatedLastTimestamp: z.string().nullable().optional(),
  deprecatedCount: z.number().optional(),
  deprecatedSource: z.looseObject({ component: z.string().optional() }).optional(),
  series: z.looseObject({ count: z.number(), lastObservedTime: z.string() }).optional(),
  reportingController: z.string().optional(),
});

/** A Kubernetes time (RFC 3339, `MicroTime` too) as an ISO timestamp, when it is one. */
function timestamp(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function age(meta: z.infer<typeof Meta>, nowMs: number) {
  const createdAt = timestamp(meta.creationTimestamp);
  if (createdAt === undefined) return {};
  return {
    createdAt,
    ageSeconds: Math.max(0, Math.floor((nowMs - Date.parse(createdAt)) / 1000)),
  };
}

const nonEmpty = <T extends object>(value: T | undefined) =>
  value !== undefined && Object.keys(value).length > 0 ? value : undefined;

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function namespaceSummary(
  ns: z.infer<typeof KubeNamespace>,
  nowMs: number,
): ClusterNamespace {
  return {
    name: ns.metadata.name,
    ...optional('phase', ns.status?.phase),
    ...optional('labels', nonEmpty(ns.metadata.labels)),
    ...age(ns.metadata, nowMs),
  };
}

type ContainerStatus = NonNullable<NonNullable<KubePod['status']>['containerStatuses']>[number];

function containerSummary(
  spec: NonNullable<KubePod['spec']>['containers'][number],
  status: ContainerStatus | undefined,
): ClusterPod['containers'][number] {
  const state = status?.state;
  const current = state?.waiting ?? state?.terminated;
  const ports = spec.ports?.map((p) => ({
    ...optional('name', p.name),
    containerPort: p.containerPort,
    protocol: p.protocol ?? 'TCP',
  }));
  return {
    name: spec.name,
    ...optional('image', spec.image),
    ready: status?.ready ?? false,
    restarts: status?.restartCount ?? 0,
    state: state?.running
      ? 'running'
      : state?.waiting
        ? 'waiting'
        : state?.terminated
          ? 'terminated'
          : 'unknown',
    ...optional('reason', current?.reason),
    ...optional('message', current?.message),
    ...optional('exitCode', state?.terminated?.exitCode),
    ...optional('lastTerminationReason', status?.lastState?.terminated?.reason),
    ...(ports === undefined || ports.length === 0 ? {} : { ports }),
  };
}

/** What `kubectl get pods` shows as STATUS: a container's trouble first, then the pod's. */
function displayStatus(pod: KubePod, containers: ClusterPod['containers']): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  if (pod.status?.reason !== undefined) return pod.status.reason;
  const trouble = containers.find(
    (c) => c.reason !== undefined && c.state !== 'running' && c.reason !== 'Completed',
  );
  return trouble?.reason ?? pod.status?.phase ?? 'Unknown';
}

export function podSummary(pod: KubePod, nowMs: number): ClusterPod {
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = (pod.spec?.containers ?? []).map((spec) =>
    containerSummary(
      spec,
      statuses.find((s) => s.name === spec.name),
    ),
  );
  const failing = (pod.status?.conditions ?? [])
    .filter((c) => c.status !== 'True')
    .map((c) => ({
      type: c.type,
      status: c.status,
      ...optional('reason', c.reason),
      ...optional('message', c.message),
    }));
  const owner =
    pod.metadata.ownerReferences?.find((o) => o.controller === true) ??
    pod.metadata.ownerReferences?.[0];
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    status: displayStatus(pod, containers),
    ready: `${containers.filter((c) => c.ready).length}/${containers.length}`,
    restarts: containers.reduce((sum, c) => sum + c.restarts, 0),
    ...optional('node', pod.spec?.nodeName),
    ...optional('podIP', pod.status?.podIP),
    ...optional('hostIP', pod.status?.hostIP),
    ...optional('reason', pod.status?.reason),
    ...optional('message', pod.status?.message),
    ...(failing.length === 0 ? {} : { failingConditions: failing }),
    containers,
    ...optional('owner', owner === undefined ? undefined : `${owner.kind}/${owner.name}`),
    ...optional('labels', nonEmpty(pod.metadata.labels)),
    ...optional('startedAt', timestamp(pod.status?.startTime)),
    ...age(pod.metadata, nowMs),
  };
}

export function serviceSummary(
  service: z.infer<typeof KubeService>,
  nowMs: number,
): ClusterService {
  const spec = service.spec ?? {};
  const ingress = (service.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip ?? i.hostname)
    .filter((address): address is string => address !== undefined);
  return {
    name: service.metadata.name,
    namespace: service.metadata.namespace ?? '',
    type: spec.type ?? 'ClusterIP',
    ...optional('clusterIP', spec.clusterIP),
    ...(spec.externalIPs?.length ? { externalIPs: spec.externalIPs } : {}),
    ...(ingress.length === 0 ? {} : { loadBalancer: ingress }),
    ...optional('externalName', spec.externalName),
    ports: (spec.ports ?? []).map((p) => ({
      ...optional('name', p.name),
      protocol: p.protocol ?? 'TCP',
      port: p.port,
      ...optional('targetPort', p.targetPort),
      ...optional('nodePort', p.nodePort),
    })),
    ...optional('selector', nonEmpty(spec.selector)),
    ...age(service.metadata, nowMs),
  };
}

export function eventSummary(event: z.infer<typeof KubeEvent>): ClusterEvent {
  const firstTime =
    timestamp(event.deprecatedFirstTimestamp) ??
    timestamp(event.eventTime) ??
    timestamp(event.metadata.creationTimestamp);
  const lastTime =
    timestamp(event.series?.lastObservedTime) ??
    timestamp(event.deprecatedLastTimestamp) ??
    firstTime;
  const regarding = event.regarding;
  return {
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.note ?? '',
    object: `${regarding?.kind ?? ''}/${regarding?.name ?? ''}`,
    count: Math.max(1, event.series?.count ?? event.deprecatedCount ?? 1),
    ...optional('firstTime', firstTime),
    ...optional('lastTime', lastTime),
    ...optional('source', event.reportingController || event.deprecatedSource?.component),
  };
}
