/**
 * `paddock cluster sync`: asks Argo CD to sync every Application now instead of at its next poll,
 * tier by tier (the `argocd.argoproj.io/sync-wave` annotation, lowest first), waiting for each
 * tier's operations to finish before the next. It sets the Application's `operation` field as
 * `argocd app sync` does through Argo CD's API server; the application controller performs it.
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';
import { ARGOCD_NAMESPACE } from './bootstrap-plan.ts';
import { type Progress, step } from './steps.ts';

const APPLICATIONS = `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications`;
const WAVE = 'argocd.argoproj.io/sync-wave';
const DONE_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

type Application = {
  metadata: { name: string; annotations?: Record<string, string> };
  operation?: unknown;
  status?: { operationState?: { phase?: string; startedAt?: string; message?: string } };
};

/** The operation `argocd app sync` sets: a sync of the target revision, hooks run, by `paddock`. */
export const SYNC_OPERATION = {
  initiatedBy: { username: 'paddock' },
  sync: { syncStrategy: { hook: {} } },
} as const;

export type SyncResult = { tier: number; application: string; phase: string }[];

/** Applications grouped by sync wave, lowest first (no annotation: wave 0). */
export function tiersOf<T extends Application>(
  apps: readonly T[],
): Array<{ tier: number; apps: T[] }> {
  const byTier = new Map<number, T[]>();
  for (const app of apps) {
    const wave = Number.parseInt(app.metadata.annotations?.[WAVE] ?? '0', 10);
    const tier = Number.isNaN(wave) ? 0 : wave;
    byTier.set(tier, [...(byTier.get(tier) ?? []), app]);
  }
  return [...byTier.entries()]
    .sort(([a], [b]) => a - b)
    .map(([tier, list]) => ({ tier, apps: list }));
}

export async function syncApplications(
  kube: KubeClient,
  options: {
    progress: Progress;
    isWaiting?: boolean;
    timeoutMs?: number;
    names?: readonly string[];
  },
): Promise<SyncResult> {
  let list: { items?: Application[] };
  try {
    list = await kube.request<{ items?: Application[] }>('GET', APPLICATIONS);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'Argo CD is not installed on this cluster (it serves no Applications)',
      );
    }
    throw error;
  }
  const wanted = options.names;
  const apps = (list.items ?? []).filter(
    (a) => wanted === undefined || wanted.includes(a.metadata.name),
  );
  const result: SyncResult = [];
  for (const { tier, apps: tierApps } of tiersOf(apps)) {
    await step(
      options.progress,
      `sync tier ${tier}: ${tierApps.map((a) => a.metadata.name).join(', ')}`,
      async () => {
        for (const app of tierApps) {
          if (app.operation !== undefined) {
            options.progress({
              type: 'skipped',
              step: `sync ${app.metadata.name}`,
              reason: 'another operation is already in progress',
            });
            continue;
          }
          await kube.request('PATCH', `${APPLICATIONS}/${app.metadata.name}`, {
            body: { operation: SYNC_OPERATION },
            contentType: 'application/merge-patch+json',
          });
        }
        if (!(options.isWaiting ?? true)) {
          for (const app of tierApps)
            result.push({ tier, application: app.metadata.name, phase: 'Requested' });
          return;
        }
        const deadline = performance.now() + (options.timeoutMs ?? 300_000);
        for (const app of tierApps) {
          for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2000)) {
            const now = await kube.request<Application>(
              'GET',
              `${APPLICATIONS}/${app.metadata.name}`,
            );
            const phase = now.status?.operationState?.phase;
            if (now.operation === undefined && phase !== undefined && DONE_PHASES.has(phase)) {
              result.push({ tier, application: app.metadata.name, phase });
              break;
            }
            if (performance.now() > deadline) {
              throw new PaddockError(
                ErrorCode.Timeout,
                `Argo CD did not finish syncing ${app.metadata.name} in time (is its application controller running? paddock cluster doctor)`,
              );
            }
            await new Promise((resolve) => setTimeout(resolve, delayMs));
          }
        }
      },
    );
  }
  return result;
}
