/**
 * The admins' read-only views of the cluster this server runs on: namespaces, and the pods,
 * services, Events and pod logs of a namespace, summarised (see `cluster-summaries.ts`). They
 * read through the engine's Kubernetes client with the server's own ServiceAccount (its role
 * grants exactly these reads), so only admins may use them; a user is `forbidden`. A server
 * without a Kubernetes backend answers `runtime_unavailable`.
 */
import { CLUSTER_ROUTES, type ClusterListQuery } from '@paddock/api';
import { requireAdmin } from '@paddock/control';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';
import type { z } from 'zod';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';
import {
  eventSummary,
  KubeEvent,
  KubeNamespace,
  KubePod,
  KubeService,
  kubeListOf,
  namespaceSummary,
  podSummary,
  serviceSummary,
} from './cluster-summaries.ts';

const DEFAULT_LIMIT = 500;
const MAX_LOG_BYTES = 1024 * 1024;

/** The cluster's client, for an admin; `forbidden` for anyone else, then `runtime_unavailable`. */
function kubeFor(call: HandlerCall, what: string): KubeClient {
  requireAdmin(call.principal, `reading the cluster's ${what}`);
  const kube = call.deps.engine.cluster?.kube;
  if (kube === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      'this server does not run on Kubernetes: the cluster views need `paddock server --kubeconfig` or `--in-cluster`',
    );
  }
  return kube;
}

/**
 * A refusal of the API server to the server's own ServiceAccount is the installation's fault,
 * not the caller's: `runtime_unavailable`, naming what the role lacks.
 */
async function asServer<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isPaddockError(error) && error.code === ErrorCode.Forbidden) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the server's ServiceAccount may not read ${what} (${error.message}); reinstall with \`paddock install\` for its current role`,
      );
    }
    throw error;
  }
}

function listQuery(query: ClusterListQuery) {
  return {
    limit: query.limit ?? DEFAULT_LIMIT,
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
    ...(query.continue === undefined ? {} : { continue: query.continue }),
  };
}

/** One page of a collection, each item read through `schema` and summarised. */
async function page<S extends z.ZodType, T>(
  kube: KubeClient,
  path: string,
  query: ClusterListQuery,
  schema: S,
  summarise: (item: z.output<S>, nowMs: number) => T,
  call: HandlerCall,
): Promise<{ items: T[]; continue?: string }> {
  const answer = await asServer(path, () =>
    kube.request('GET', path, { query: listQuery(query), signal: call.deps.shutdown }),
  );
  const list = kubeListOf(schema).parse(answer);
  const nowMs = Date.now();
  const next = list.metadata?.continue;
  return {
    items: list.items.map((item) => summarise(item as z.output<S>, nowMs)),
    ...(next === undefined || next === '' ? {} : { continue: next }),
  };
}

const nsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;

export const clusterHandlers: RouteHandler[] = [
  on(CLUSTER_ROUTES.getClusterInfo, async ({ deps }) =>
    json({ backend: deps.engine.cluster === undefined ? 'local' : 'kubernetes' }),
  ),
  on(CLUSTER_ROUTES.listClusterNamespaces, async (call, { query }) => {
    const kube = kubeFor(call, 'namespaces');
    const found = await page(
      kube,
      '/api/v1/namespaces',
      query,
      KubeNamespace,
      namespaceSummary,
      call,
    );
    return json({ kind: 'ClusterNamespaceList', ...found });
  }),
  on(CLUSTER_ROUTES.listClusterPods, async (call, { params, query }) => {
    const kube = kubeFor(call, 'pods');
    const path = `${nsPath(params.namespace)}/pods`;
    const found = await page(kube, path, query, KubePod, podSummary, call);
    return json({ kind: 'ClusterPodList', ...found });
  }),
  on(CLUSTER_ROUTES.listClusterServices, async (call, { params, query }) => {
    const kube = kubeFor(call, 'services');
    const path = `${nsPath(params.namespace)}/services`;
    const found = await page(kube, path, query, KubeService, serviceSummary, call);
    return json({ kind: 'ClusterServiceList', ...found });
  }),
  on(CLUSTER_ROUTES.listClusterEvents, async (call, { params, query }) => {
    const kube = kubeFor(call, 'events');
    const path = `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(params.namespace)}/events`;
    const found = await page(kube, path, query, KubeEvent, eventSummary, call);
    const newest = (e: { lastTime?: string | undefined }) => e.lastTime ?? '';
    found.items.sort((a, b) => newest(b).localeCompare(newest(a)));
    return json({ kind: 'ClusterEventList', ...found });
  }),
  on(CLUSTER_ROUTES.getClusterPodLogs, async (call, { params, query }) => {
    const kube = kubeFor(call, 'pod logs');
    const path = `${nsPath(params.namespace)}/pods/${encodeURIComponent(params.name)}/log`;
    const text = await asServer(path, () =>
      kube.request<string>('GET', path, {
        query: {
          container: query.container,
          tailLines: query.tailLines,
          previous: query.previous === true ? true : undefined,
          limitBytes: query.limitBytes ?? MAX_LOG_BYTES,
        },
        responseType: 'text',
        signal: call.deps.shutdown,
      }),
    );
    call.res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'x-request-id': call.ctx.requestId,
    });
    call.res.end(text);
    return streamed();
  }),
];
