/**
 * Hands Paddock from one owner to the other on a running cluster without taking it down: from
 * `paddock install` to Argo CD when the catalog's `paddock` entry is enabled, and back when it is
 * disabled. Both render the same objects (one renderer, the same values: the entry's with
 * `infra/paddock.yaml` over them), so the new owner's server-side apply adopts each object in
 * place (same names, labels and uid; no duplicate CRD, no new rollout) and becomes a co-owner
 * of its fields; then the old owner's field manager lets go of them (an empty apply as that
 * manager), leaving the new owner the only one, so a field a later version drops is removed.
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import {
  detectCapabilities,
  INSTALL_FIELD_MANAGER,
  installManifest,
  type KubeClient,
} from '@paddock/kube';
import { KEEP_ON_DELETE, type YamlMap } from '../repo/index.ts';
import { ARGOCD_NAMESPACE } from './bootstrap-plan.ts';
import { installPaddock, paddockInstallValues } from './in-cluster.ts';
import { applyServed, Discovery, type KubeObject } from './kube-objects.ts';
import {
  APPLICATIONS,
  type Application,
  PADDOCK_APPLICATION,
  waitForPaddockApplication,
  watchApplication,
} from './paddock-rollout.ts';
import { type Progress, step } from './steps.ts';

/** The field manager of `paddock install`'s applier. */
export const INSTALL_MANAGER = INSTALL_FIELD_MANAGER;
/** The field manager of Argo CD's server-side apply (`ServerSideApply=true`). */
export const ARGOCD_MANAGER = 'argocd-controller';
/** How Argo CD marks an object it deployed (annotation tracking). */
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** The ApplicationSet that generates `catalog-paddock`, and the annotation that refreshes it. */
const CATALOG_SET = `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applicationsets/paddock-catalog`;
const REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';

type Managed = {
  metadata: { managedFields?: Array<{ manager?: string; operation?: string }> };
};

/** What a release of fields did: objects let go of, and objects left as they were, with why. */
export type Release = { released: string[]; kept: Array<{ object: string; reason: string }> };

export type HandoverOptions = {
  /** Paddock's values (the repository's `paddockValues`). */
  values: YamlMap;
  progress: Progress;
  /** How long to wait for Argo CD (default 10 minutes). */
  timeoutMs?: number;
};

/**
 * Lets `from` go of every object Paddock renders with `values` that `to` has applied (the CRDs
 * included): an empty server-side apply as `from`, so its fields stay only where `to` owns them.
 * An object `to` has not applied is kept as it is (letting go would remove its fields).
 */
export async function releaseFields(
  kube: KubeClient,
  options: { values: YamlMap; from: string; to: string },
): Promise<Release> {
  const manifest = installManifest(
    paddockInstallValues(options.values),
    await detectCapabilities(kube),
  );
  const discovery = new Discovery(kube);
  const result: Release = { released: [], kept: [] };
  for (const object of [...manifest.crds, ...manifest.objects] as KubeObject[]) {
    const name = `${object.kind} ${object.metadata.name}`;
    const path = await discovery.pathOf(object);
    if (typeof path !== 'string') continue;
    let live: Managed;
    try {
      live = await kube.request<Managed>('GET', path);
    } catch (error) {
      if (!isPaddockError(error, ErrorCode.NotFound)) throw error;
      result.kept.push({ object: name, reason: 'not on the cluster' });
      continue;
    }
    const managers = live.metadata.managedFields ?? [];
    if (!managers.some((m) => m.manager === options.from && m.operation === 'Apply')) continue;
    if (!managers.some((m) => m.manager === options.to && m.operation === 'Apply')) {
      result.kept.push({ object: name, reason: `${options.to} has not applied it` });
      continue;
    }
    const { namespace } = object.metadata;
    await kube.request('PATCH', path, {
      query: { fieldManager: options.from },
      body: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata.name, ...(namespace && { namespace }) },
      },
      contentType: 'application/apply-patch+yaml',
    });
    result.released.push(name);
  }
  return result;
}

function releaseSummary(release: Release): string {
  const kept = release.kept.map((k) => `${k.object} (${k.reason})`);
  return `${release.released.length} objects${kept.length > 0 ? `; kept as they are: ${kept.join(', ')}` : ''}`;
}

/** Asks the catalog ApplicationSet to read the repository now, not at its next poll. */
async function refreshCatalog(kube: KubeClient): Promise<void> {
  try {
    await kube.request('PATCH', CATALOG_SET, {
      body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'true' } } },
      contentType: 'application/merge-patch+json',
    });
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.NotFound)) throw error;
  }
}

async function hasArgoCd(kube: KubeClient): Promise<boolean> {
  return (await new Discovery(kube).resource('argoproj.io/v1alpha1', 'Application')) !== undefined;
}

/**
 * After the repository enabled the `paddock` entry: has the catalog refreshed, waits until Argo
 * CD reports `catalog-paddock` Synced and Healthy (it has applied every object over those
 * `paddock install` made), then lets `paddock install`'s field manager go of them.
 */
export async function handOverToArgoCd(
  kube: KubeClient,
  options: HandoverOptions,
): Promise<Release> {
  const { progress } = options;
  if (!(await hasArgoCd(kube))) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      'the cluster serves no Argo CD Applications: Paddock stays with paddock install',
      { hint: 'paddock cluster doctor says what is missing' },
    );
  }
  await refreshCatalog(kube);
  const wait = `wait for argo cd to adopt paddock (application ${PADDOCK_APPLICATION})`;
  await step(progress, wait, () =>
    waitForPaddockApplication(kube, {
      progress,
      step: wait,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    }),
  );
  return step(
    progress,
    `release paddock install's fields to argo cd`,
    () =>
      releaseFields(kube, { values: options.values, from: INSTALL_MANAGER, to: ARGOCD_MANAGER }),
    releaseSummary,
  );
}

/**
 * Disables the `paddock` entry (`disable`, the repository's commit) with `paddock install`
 * taking over, in an order that never leaves Paddock without an owner: Argo CD's Application is
 * told to keep its objects when deleted (as the current catalog template says; an Application
 * generated from an older one may not), `paddock install` applies over them, the entry is
 * disabled, and once Argo CD has deleted the Application its field manager lets go of them.
 */
export async function handOverToInstall(
  kube: KubeClient,
  options: HandoverOptions & {
    /** The repository's current AppProject and ApplicationSets (applied first). */
    bootstrapObjects: readonly KubeObject[];
    disable: () => Promise<unknown>;
  },
): Promise<Release> {
  const { progress } = options;
  const isArgoCd = await hasArgoCd(kube);
  if (isArgoCd) {
    await step(
      progress,
      'keep paddock’s objects when argo cd deletes its application',
      async () => {
        await applyServed(kube, options.bootstrapObjects);
        await keepOnDelete(kube);
      },
    );
  }
  const discovery = new Discovery(kube);
  await step(
    progress,
    'install paddock over argo cd’s objects',
    () =>
      installPaddock(kube, {
        discovery,
        progress,
        values: options.values,
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      }),
    (r) => `version ${r.version}`,
  );
  await options.disable();
  if (!isArgoCd) return { released: [], kept: [] };
  await refreshCatalog(kube);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const isGone = await step(
    progress,
    `wait for argo cd to delete application ${PADDOCK_APPLICATION}`,
    () =>
      watchApplication(
        kube,
        PADDOCK_APPLICATION,
        AbortSignal.timeout(timeoutMs),
        (a) => a === undefined,
      ),
  );
  if (!isGone) {
    throw new PaddockError(
      ErrorCode.Timeout,
      `Argo CD did not delete Application ${PADDOCK_APPLICATION} within ${Math.round(timeoutMs / 1000)} s; paddock install runs Paddock meanwhile, and Argo CD keeps its objects when it does`,
      {
        application: PADDOCK_APPLICATION,
        hint: 'paddock cluster upgrade paddock finishes the handover once the Application is gone',
      },
    );
  }
  return step(
    progress,
    `release argo cd's fields to paddock install`,
    () =>
      releaseFields(kube, { values: options.values, from: ARGOCD_MANAGER, to: INSTALL_MANAGER }),
    releaseSummary,
  );
}

/** Adds `Delete=false` to `catalog-paddock`'s sync options, when it exists and lacks it. */
async function keepOnDelete(kube: KubeClient): Promise<void> {
  let app: Application;
  try {
    app = await kube.request<Application>('GET', `${APPLICATIONS}/${PADDOCK_APPLICATION}`);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return;
    throw error;
  }
  const options = app.spec?.syncPolicy?.syncOptions ?? [];
  if (options.includes(KEEP_ON_DELETE)) return;
  await kube.request('PATCH', `${APPLICATIONS}/${PADDOCK_APPLICATION}`, {
    body: {
      spec: {
        syncPolicy: {
          syncOptions: [...options.filter((o) => !o.startsWith('Delete=')), KEEP_ON_DELETE],
        },
      },
    },
    contentType: 'application/merge-patch+json',
  });
}

/**
 * Whether Argo CD still has an Application deploying Paddock; undefined when the cluster serves
 * no Applications at all.
 */
export async function hasPaddockApplication(kube: KubeClient): Promise<boolean | undefined> {
  if (!(await hasArgoCd(kube))) return undefined;
  try {
    await kube.request('GET', `${APPLICATIONS}/${PADDOCK_APPLICATION}`);
    return true;
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return false;
    throw error;
  }
}
