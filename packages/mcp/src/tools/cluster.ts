/**
 * Read-only tools over the Kubernetes cluster a Paddock server runs on: namespaces, and the pods,
 * services, Events and pod logs of a namespace, as the REST API's cluster views summarise them
 * (admins only; a user's call is the tool error `forbidden`). Offered only by a server with a
 * Kubernetes backend (see `hasKubernetesBackend`).
 */
import {
  ClusterEvent,
  ClusterNamespace,
  ClusterPod,
  ClusterService,
  LabelSelectorQuery,
} from '@paddock/api';
import type { PaddockClient } from '@paddock/client';
import { NamespaceName } from '@paddock/core';
import { z } from 'zod';
import { defineTool, type PaddockTool, READ_ONLY } from '../tool.ts';

/**
 * Whether the server behind `client` runs on Kubernetes (`GET /api/v1/cluster`), for a transport
 * that cannot ask the engine (the CLI's stdio server). A server that cannot tell (an older one,
 * or unreachable now) counts as not.
 */
export async function hasKubernetesBackend(
  client: PaddockClient,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const info = await client.cluster.info(signal === undefined ? {} : { signal });
    return info.backend === 'kubernetes';
  } catch {
    return false;
  }
}

const page = {
  labelSelector: LabelSelectorQuery.optional().describe(
    'Kubernetes label selector, e.g. `app=web,tier!=db`',
  ),
  limit: z.int().min(1).max(1000).default(100).describe('At most this many (default 100)'),
  continue: z
    .string()
    .min(1)
    .optional()
    .describe('The `continue` of the previous answer, for the next page'),
};
const inNamespace = {
  namespace: NamespaceName.describe('The Kubernetes namespace, e.g. `default` or `agent-helper`'),
  ...page,
};
const more = z.string().optional().describe('Present when more remain: pass it back as `continue`');

const listArgs = (
  input: { labelSelector?: string | undefined; limit: number; continue?: string | undefined },
  signal: AbortSignal,
) => ({
  signal,
  limit: input.limit,
  ...(input.labelSelector === undefined ? {} : { labelSelector: input.labelSelector }),
  ...(input.continue === undefined ? {} : { continue: input.continue }),
});

const withMore = <T>(answer: { items: T[]; continue?: string | undefined }) =>
  answer.continue === undefined
    ? { items: answer.items }
    : { items: answer.items, continue: answer.continue };

export const clusterTools: PaddockTool[] = [
  defineTool({
    name: 'cluster_namespaces',
    title: 'List cluster namespaces',
    description:
      "Lists the namespaces of the Kubernetes cluster Paddock runs on, with their phase (Active, Terminating), labels and age. Use it to find where things run (Paddock's own `paddock-system`, agents' `agent-<name>` namespaces) before looking at pods, services or events. Admins only.",
    input: z.object(page),
    output: z.object({ items: z.array(ClusterNamespace), continue: more }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) =>
      withMore(await client.cluster.namespaces(listArgs(input, signal))),
  }),
  defineTool({
    name: 'cluster_pods',
    title: 'List pods',
    description:
      "Lists the pods of a Kubernetes namespace, summarised: phase and the status `kubectl get pods` shows (CrashLoopBackOff, ImagePullBackOff, Pending, …), ready containers, restarts, node, pod and host IPs, each container's state with its reason, message and exit code, conditions that fail (e.g. Unschedulable), owner and age. Use it to see why a sandbox or service is not running; then cluster_events and cluster_pod_logs for details. Admins only.",
    input: z.object(inNamespace),
    output: z.object({ items: z.array(ClusterPod), continue: more }),
    annotations: READ_ONLY,
    handle: async ({ namespace, ...input }, { client, signal }) =>
      withMore(await client.cluster.pods(namespace, listArgs(input, signal))),
  }),
  defineTool({
    name: 'cluster_services',
    title: 'List services',
    description:
      'Lists the Services of a Kubernetes namespace: type, cluster IP, external and load-balancer addresses, ports (port → targetPort, nodePort) and pod selector. Use it to find how a workload is reached inside the cluster. Admins only.',
    input: z.object(inNamespace),
    output: z.object({ items: z.array(ClusterService), continue: more }),
    annotations: READ_ONLY,
    handle: async ({ namespace, ...input }, { client, signal }) =>
      withMore(await client.cluster.services(namespace, listArgs(input, signal))),
  }),
  defineTool({
    name: 'cluster_events',
    title: 'List Kubernetes events',
    description:
      'Lists the Kubernetes Events of a namespace, newest first: type (Normal, Warning), reason (FailedScheduling, BackOff, Pulled, …), message, the object concerned (`Pod/web-0`), how many times it happened, first and last time, and who reported it. Use it to explain a pod stuck Pending or restarting. Admins only.',
    input: z.object(inNamespace),
    output: z.object({ items: z.array(ClusterEvent), continue: more }),
    annotations: READ_ONLY,
    handle: async ({ namespace, ...input }, { client, signal }) =>
      withMore(await client.cluster.events(namespace, listArgs(input, signal))),
  }),
  defineTool({
    name: 'cluster_pod_logs',
    title: 'Read pod logs',
    description:
      'Reads the log (stdout and stderr as the kubelet keeps them) of a container of a pod: its last `tailLines` lines (default 200), or of its previous run with `previous: true` (after a crash). Name the container when the pod has several (cluster_pods lists them); otherwise the call fails with validation_failed naming the choices. Returns the text, at most 1 MiB. Admins only.',
    input: z.object({
      namespace: NamespaceName.describe('The Kubernetes namespace of the pod'),
      pod: z.string().min(1).max(253).describe('The pod name'),
      container: z.string().min(1).max(63).optional().describe('The container, when several'),
      tailLines: z
        .int()
        .min(0)
        .max(100_000)
        .default(200)
        .describe('The last N lines (default 200)'),
      previous: z.boolean().default(false).describe("The previous run's log (after a restart)"),
    }),
    output: z.object({
      namespace: z.string(),
      pod: z.string(),
      container: z.string().optional(),
      log: z.string(),
    }),
    annotations: READ_ONLY,
    handle: async ({ namespace, pod, container, tailLines, previous }, { client, signal }) => {
      const log = await client.cluster.podLogs(namespace, pod, {
        signal,
        tailLines,
        ...(container === undefined ? {} : { container }),
        ...(previous ? { previous } : {}),
      });
      return { namespace, pod, ...(container === undefined ? {} : { container }), log };
    },
  }),
];
