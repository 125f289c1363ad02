// `paddock app logs`: the logs of an app's pods, read through the Kubernetes API of the running
// cluster, each line prefixed with [pod/container]; with --follow, streamed (`follow=true`) from
// every container at once until they end or Ctrl-C, which closes every stream before returning.
import { ErrorCode, PaddockError } from '@paddock/core';
import { followPodLog, type KubeClient } from '@paddock/kube';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { oneName } from './app-history.ts';
import { type ResolvedApp, resolveApp, withRunningCluster } from './app-support.ts';
import { repoOf } from './cluster-repo.ts';
import { targetCluster } from './cluster-support.ts';
import { interruption } from './watch-list.ts';

const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** The most of one container's log printed (the API server's own `limitBytes`). */
const MAX_LOG_BYTES = 10 * 1024 * 1024;

type Pod = {
  metadata: { name: string };
  spec?: { containers?: Array<{ name: string }> };
  status?: { phase?: string };
};

type Target = { namespace: string; pod: string; container: string };

async function podsOf(kube: KubeClient, namespace: string, app: ResolvedApp) {
  // Helm's instance label is the release name (the app's name in the ApplicationSets); Argo CD's
  // label tracking, where it is on, writes the Application's name there instead.
  for (const value of [app.name, app.application]) {
    const selector = `${INSTANCE_LABEL}=${value}`;
    const list = await kube.request<{ items?: Pod[] }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { query: { labelSelector: selector } },
    );
    const pods = (list.items ?? []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (pods.length > 0) return pods;
  }
  return [];
}

function tailOf({ invocation }: CommandContext): number | undefined {
  const text = invocation.flags.tail;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    throw usageError([{ path: '--tail', message: 'must be a number of lines (0 or more)' }]);
  }
  return Number(text);
}

const prefixOf = (target: Target) => `[${target.pod}/${target.container}] `;

/** Each whole line of `text` with the target's prefix. */
function prefixed(target: Target, lines: readonly string[]): string {
  return lines.map((line) => `${prefixOf(target)}${line}\n`).join('');
}

async function printLogs(
  kube: KubeClient,
  context: CommandContext,
  targets: readonly Target[],
  tail: number | undefined,
) {
  for (const target of targets) {
    const text = await kube.request<string>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`,
      {
        query: { container: target.container, tailLines: tail, limitBytes: MAX_LOG_BYTES },
        responseType: 'text',
      },
    );
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    context.io.stdout(prefixed(target, lines));
  }
}

/**
 * Streams every target's log at once, whole lines only, until each ends or Ctrl-C (SIGINT or
 * SIGTERM) aborts them all; the connections are closed before it returns.
 */
async function followLogs(
  kube: KubeClient,
  context: CommandContext,
  targets: readonly Target[],
  tail: number | undefined,
) {
  const interrupt = interruption();
  // A stream that fails ends the others too, so none is left open.
  const failed = new AbortController();
  const signal = AbortSignal.any([interrupt.signal, failed.signal]);
  const follow = async (target: Target) => {
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = await followPodLog(kube, target, {
        signal,
        ...(tail !== undefined && { tailLines: tail }),
      });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.length > 0) context.io.stdout(prefixed(target, lines));
    }
    pending += decoder.decode();
    if (pending !== '') context.io.stdout(prefixed(target, [pending]));
  };
  try {
    await Promise.all(
      targets.map((target) =>
        follow(target).catch((error: unknown) => {
          failed.abort();
          throw error;
        }),
      ),
    );
  } finally {
    interrupt.dispose();
  }
}

export const logsCommand: Command = {
  path: ['app', 'logs'],
  flags: ['home', 'cluster-name', 'tail', 'container', 'follow'],
  help: `Usage: paddock app logs NAME [--follow] [--tail N] [--container C] [--cluster-name CLUSTER]

Prints the logs of an app's pods (a custom app or a catalog entry), each line prefixed with
[pod/container]: the pods in the app's namespace labelled app.kubernetes.io/instance=NAME (the
Helm release; else =the Application's name, as Argo CD's label tracking writes it), every
container unless --container, the last N lines of each with --tail. Read through the Kubernetes
API of the running cluster. With --follow, keeps printing new lines of every container as
they come (the API server's follow=true streams, one per container) until they end or you press
Ctrl-C; the pods are those found when it starts.

Example:
  paddock app logs litellm --tail 100
  paddock app logs my-api -c api --follow
`,
  async run(context) {
    const name = oneName(context, 'paddock app logs NAME [--follow] [--tail N] [--container C]');
    const tail = tailOf(context);
    const container = context.invocation.flags.container;
    const session = targetCluster(context);
    const app = await resolveApp(repoOf(context, session), name);
    const namespace = app.namespace;
    if (namespace === undefined) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `app ${name} is not in the repository's HEAD (removed): it has no pods`,
        { hint: `paddock app rollback ${name} brings it back` },
      );
    }
    return withRunningCluster(session, 'paddock app logs', async (kube) => {
      const pods = await podsOf(kube, namespace, app);
      if (pods.length === 0) {
        throw new PaddockError(
          ErrorCode.NotFound,
          `no pods of ${name} in namespace ${namespace} (labelled ${INSTANCE_LABEL}=${app.name} or =${app.application})`,
          { hint: `paddock app status ${app.application} shows whether Argo CD has synced it` },
        );
      }
      const targets = pods.flatMap((pod) =>
        (pod.spec?.containers ?? [])
          .map((c) => c.name)
          .filter((c) => container === undefined || c === container)
          .map((c) => ({ namespace, pod: pod.metadata.name, container: c })),
      );
      if (targets.length === 0) {
        const all = [
          ...new Set(pods.flatMap((p) => (p.spec?.containers ?? []).map((c) => c.name))),
        ];
        throw usageError([
          {
            path: '--container',
            message: `${container}: no pod of ${name} has it (containers: ${all.join(', ')})`,
          },
        ]);
      }
      if (context.invocation.flags.follow === true) {
        await followLogs(kube, context, targets, tail);
      } else {
        await printLogs(kube, context, targets, tail);
      }
      return 0;
    });
  },
};
