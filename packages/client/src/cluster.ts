import type {
  ClusterEventList,
  ClusterInfo,
  ClusterListQuery,
  ClusterNamespaceList,
  ClusterPodList,
  ClusterServiceList,
} from '@paddock/api';
import type { z } from 'zod';
import type { Caller } from './call.ts';
import type { RequestOptions } from './transport.ts';

/** A page of a cluster list: a label selector, a size (default 500) and the previous `continue`. */
export type ClusterListOptions = RequestOptions & z.input<typeof ClusterListQuery>;

/** Which container's log, its last lines, its previous run, at most how many bytes. */
export type ClusterPodLogsOptions = RequestOptions & {
  container?: string;
  tailLines?: number;
  previous?: boolean;
  limitBytes?: number;
};

/**
 * Read-only views of the Kubernetes cluster the server runs on, summarised. Admins only (a user
 * is `forbidden`); `runtime_unavailable` on a server that does not run on Kubernetes (`info()`
 * tells which it is, to anyone).
 */
export type ClusterClient = {
  info(options?: RequestOptions): Promise<ClusterInfo>;
  namespaces(options?: ClusterListOptions): Promise<z.output<typeof ClusterNamespaceList>>;
  pods(namespace: string, options?: ClusterListOptions): Promise<z.output<typeof ClusterPodList>>;
  services(
    namespace: string,
    options?: ClusterListOptions,
  ): Promise<z.output<typeof ClusterServiceList>>;
  /** Events newest first. */
  events(
    namespace: string,
    options?: ClusterListOptions,
  ): Promise<z.output<typeof ClusterEventList>>;
  /** A container's log as text; `validation_failed` when the pod has several and none is named. */
  podLogs(namespace: string, pod: string, options?: ClusterPodLogsOptions): Promise<string>;
};

function split<Q extends object>(options: (RequestOptions & Q) | undefined) {
  const { signal, timeoutMs, headers, ...query } = options ?? ({} as RequestOptions & Q);
  const request: RequestOptions = {
    ...(signal && { signal }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(headers && { headers }),
  };
  const defined = Object.fromEntries(
    Object.entries(query).filter(([, value]) => value !== undefined),
  ) as Q;
  return { request, query: defined };
}

export function clusterClient(caller: Caller): ClusterClient {
  return {
    info: (options) => caller.call('getClusterInfo', { ...split(options).request }),
    namespaces: (options) => {
      const { request, query } = split(options);
      return caller.call('listClusterNamespaces', { ...request, query });
    },
    pods: (namespace, options) => {
      const { request, query } = split(options);
      return caller.call('listClusterPods', { ...request, params: { namespace }, query });
    },
    services: (namespace, options) => {
      const { request, query } = split(options);
      return caller.call('listClusterServices', { ...request, params: { namespace }, query });
    },
    events: (namespace, options) => {
      const { request, query } = split(options);
      return caller.call('listClusterEvents', { ...request, params: { namespace }, query });
    },
    podLogs: (namespace, pod, options) => {
      const { request, query } = split(options);
      return caller.call('getClusterPodLogs', {
        ...request,
        params: { namespace, name: pod },
        query,
      });
    },
  };
}
