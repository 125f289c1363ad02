/**
 * Paddock has one owner on a cluster. When the GitOps repository's catalog enables its `paddock`
 * entry, Argo CD deploys it from the chart in the repository (the Application `catalog-paddock`
 * the catalog ApplicationSet generates), and `create` waits for that Application instead of
 * applying Paddock itself; only when the entry is disabled does `paddock install`'s applier run.
 * The wait watches the Application (no polling) and reports each change of its state.
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';
import { applicationName } from '../repo/index.ts';
import { ARGOCD_NAMESPACE } from './bootstrap-plan.ts';
import type { Progress } from './steps.ts';

/** The Application Argo CD deploys Paddock with. */
export const PADDOCK_APPLICATION = applicationName.catalog('paddock');

/** Argo CD's Applications. */
export const APPLICATIONS = `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications`;

export type Application = {
  metadata: { name: string; resourceVersion?: string };
  spec?: { syncPolicy?: { syncOptions?: string[] } };
  status?: {
    sync?: { status?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string };
  };
};

/** An Application's state in a few words: `OutOfSync/Progressing (message)`, or `not generated yet`. */
export function applicationState(app: Application | undefined): string {
  if (app === undefined) return 'not generated yet';
  const sync = app.status?.sync?.status ?? 'Unknown';
  const health = app.status?.health?.status ?? 'Unknown';
  const message = app.status?.operationState?.message ?? app.status?.health?.message;
  return `${sync}/${health}${message ? ` (${message})` : ''}`;
}

export function isSyncedAndHealthy(app: Application | undefined): boolean {
  return app?.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy';
}

/**
 * Calls `isDone` with the Application `name` (undefined while there is none) now and at each
 * change (one list, then a watch; no polling), until it returns true or `signal` aborts.
 */
export async function watchApplication(
  kube: KubeClient,
  name: string,
  signal: AbortSignal,
  isDone: (app: Application | undefined) => boolean,
): Promise<boolean> {
  const query = { fieldSelector: `metadata.name=${name}` };
  try {
    for (;;) {
      const list = await kube.request<{
        metadata?: { resourceVersion?: string };
        items?: Application[];
      }>('GET', APPLICATIONS, { query, signal });
      if (isDone(list.items?.[0])) return true;
      try {
        for await (const event of kube.watch(
          APPLICATIONS,
          { ...query, resourceVersion: list.metadata?.resourceVersion },
          signal,
        )) {
          if (event.type === 'BOOKMARK') continue;
          const app = event.type === 'DELETED' ? undefined : (event.object as Application);
          if (isDone(app)) return true;
        }
      } catch (error) {
        // A watch too old to resume: list again.
        if (!isPaddockError(error, ErrorCode.Expired)) throw error;
      }
      if (signal.aborted) return false;
    }
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

/**
 * Waits until Argo CD reports `catalog-paddock` Synced and Healthy, telling `progress` (as step
 * `step`) each state it passes through, and returns that last state. `timeout` naming the last
 * state when `timeoutMs` (default 10 minutes) runs out.
 */
export async function waitForPaddockApplication(
  kube: KubeClient,
  options: { progress: Progress; step: string; timeoutMs?: number },
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  let last: string | undefined;
  const isDone = await watchApplication(
    kube,
    PADDOCK_APPLICATION,
    AbortSignal.timeout(timeoutMs),
    (app) => {
      const state = applicationState(app);
      if (state !== last) options.progress({ type: 'progress', step: options.step, detail: state });
      last = state;
      return isSyncedAndHealthy(app);
    },
  );
  if (isDone) return last ?? '';
  throw new PaddockError(
    ErrorCode.Timeout,
    `Argo CD did not deploy Paddock within ${Math.round(timeoutMs / 1000)} s: Application ${PADDOCK_APPLICATION} is ${last ?? 'not generated yet'}`,
    {
      application: PADDOCK_APPLICATION,
      hint: 'paddock cluster doctor and paddock app status paddock say why; paddock app disable paddock hands Paddock to paddock install',
    },
  );
}
