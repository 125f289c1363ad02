/**
 * Waiting for a pod to reach a state (Ready, failed, gone) without polling: list it by name for a
 * resourceVersion, then watch from there; a watch the server ends or expires (410) is resumed by
 * listing again. `timeout` when the deadline passes, naming what the pod was doing.
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { Pod } from '../objects/kube-types.ts';
import { resourcePath } from './api-paths.ts';

const PODS = { apiVersion: 'v1', plural: 'pods' } as const;

type PodList = { metadata?: { resourceVersion?: string }; items?: Pod[] };

/**
 * Resolves with the pod (undefined once it is gone) as soon as `isDone` holds for it, or throws
 * `timeout` after `timeoutMs` with `describe` of the last state seen.
 */
export async function waitForPod(
  client: KubeClient,
  namespace: string,
  name: string,
  isDone: (pod: Pod | undefined) => boolean,
  options: { timeoutMs: number; what: string; describe?: (pod: Pod | undefined) => string },
): Promise<Pod | undefined> {
  const path = resourcePath(PODS, namespace);
  const fieldSelector = `metadata.name=${name}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let last: Pod | undefined;
  try {
    while (!signal.aborted) {
      const list = await client.request<PodList>('GET', path, { query: { fieldSelector }, signal });
      last = list.items?.[0];
      if (isDone(last)) return last;
      const resourceVersion = list.metadata?.resourceVersion;
      try {
        for await (const event of client.watch(path, { fieldSelector, resourceVersion }, signal)) {
          if (event.type === 'BOOKMARK') continue;
          last = event.type === 'DELETED' ? undefined : (event.object as unknown as Pod);
          if (isDone(last)) return last;
        }
      } catch (error) {
        if (!isPaddockError(error, ErrorCode.Expired)) throw error;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  const state =
    options.describe?.(last) ?? (last === undefined ? 'gone' : (last.status?.phase ?? 'unknown'));
  throw new PaddockError(
    ErrorCode.Timeout,
    `pod ${namespace}/${name}: ${options.what} within ${options.timeoutMs} ms: ${state}`,
  );
}
