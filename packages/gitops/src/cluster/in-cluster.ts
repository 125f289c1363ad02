/**
 * What Paddock puts into a cluster after Cilium and Argo CD run (or onto a cluster you already
 * have): the git server and Argo CD's repository, the repository's AppProjects and
 * ApplicationSets, and Paddock itself (deployed by Argo CD from the repository, or by
 * `paddock install`'s applier when the catalog's `paddock` entry is disabled). Kinds the API server
 * does not serve are skipped with the reason, so the same code runs against a CRD-only test server.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import {
  applyInstall,
  detectCapabilities,
  type InstallValues,
  installManifest,
  type KubeClient,
  resolveValues,
} from '@paddock/kube';
import { stringify } from 'yaml';
import { paddockChartVersion, type YamlMap } from '../repo/index.ts';
import { ARGOCD_NAMESPACE } from './bootstrap-plan.ts';
import { gitServerObjects, repositorySecret } from './git-server.ts';
import type { GitopsRepository } from './gitops-repository.ts';
import { type ApplyOutcome, applyServed, Discovery, type KubeObject } from './kube-objects.ts';
import { PADDOCK_APPLICATION, waitForPaddockApplication } from './paddock-rollout.ts';
import { type Progress, step } from './steps.ts';

export type BootstrapReport = {
  outcomes: ApplyOutcome[];
  paddockVersion: string;
  argocdAdminPassword?: string;
};

function summary(outcomes: readonly ApplyOutcome[]): string {
  const applied = outcomes.filter((o) => o.result === 'applied').length;
  const skipped = outcomes.filter((o) => o.result === 'skipped');
  return `${applied} applied${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}`;
}

function reportSkips(progress: Progress, outcomes: readonly ApplyOutcome[]) {
  for (const o of outcomes) {
    if (o.result === 'skipped')
      progress({ type: 'skipped', step: `apply ${o.object}`, reason: o.reason });
  }
}

/**
 * The install values of `values` (the repository's `paddockValues`: the catalog entry's values
 * with `infra/paddock.yaml` over them) and `sets`; `validation_failed` naming the files when
 * they hold a value Paddock's chart does not take.
 */
export function paddockInstallValues(
  values: YamlMap = {},
  sets: readonly string[] = [],
): InstallValues {
  try {
    return resolveValues({ fileText: stringify(values), sets });
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.ValidationFailed)) throw error;
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `Paddock's values (catalog/values/paddock.yaml with infra/paddock.yaml over it): ${error.message}`,
      error.details,
    );
  }
}

/**
 * Paddock by `paddock install`'s applier: the CRDs and every object of a kind the server serves,
 * rendered with `values` (see `paddockInstallValues`), as Argo CD renders the repository's chart.
 */
export async function installPaddock(
  kube: KubeClient,
  options: {
    values?: YamlMap;
    sets?: readonly string[];
    discovery: Discovery;
    progress: Progress;
    timeoutMs?: number;
  },
): Promise<{ version: string; outcomes: ApplyOutcome[] }> {
  const values = paddockInstallValues(options.values, options.sets);
  const manifest = installManifest(values, await detectCapabilities(kube));
  const served: KubeObject[] = [];
  const outcomes: ApplyOutcome[] = [];
  for (const object of manifest.objects) {
    const path = await options.discovery.pathOf(object);
    const name = `${object.kind} ${object.metadata.name}`;
    if (typeof path === 'string') {
      served.push(object);
      outcomes.push({ object: name, result: 'applied' });
    } else {
      outcomes.push({ object: name, result: 'skipped', reason: path.reason });
    }
  }
  const isComplete = served.length === manifest.objects.length;
  await applyInstall(kube, { crds: manifest.crds, objects: served }, values.name, {
    log: () => {},
    isWaiting: isComplete,
    prune: true,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  reportSkips(options.progress, outcomes);
  return { version: values.image.tag, outcomes };
}

/** Argo CD's initial admin password, when the server serves Secrets and Argo CD made it. */
async function argocdAdminPassword(kube: KubeClient): Promise<string | undefined> {
  try {
    const secret = await kube.request<{ data?: { password?: string } }>(
      'GET',
      `/api/v1/namespaces/${ARGOCD_NAMESPACE}/secrets/argocd-initial-admin-secret`,
    );
    const encoded = secret.data?.password;
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
    throw error;
  }
}

/**
 * The in-cluster half of a bootstrap, each part a step: the repository's server (unless
 * `repoURL` names one elsewhere) and Argo CD's repository Secret, the repository's Argo CD
 * objects, then Paddock from its one owner: when the repository's catalog enables the `paddock`
 * entry, Argo CD (waiting until its Application is Synced and Healthy); else `paddock install`'s
 * applier, with the same values Argo CD would use (the entry's and `infra/paddock.yaml`).
 */
export async function bootstrapInCluster(
  kube: KubeClient,
  options: {
    repository: GitopsRepository;
    repositoryDir: string;
    repoURL: string;
    isServingRepository: boolean;
    progress: Progress;
    timeoutMs?: number;
  },
): Promise<BootstrapReport> {
  const { progress } = options;
  const discovery = new Discovery(kube);
  const outcomes: ApplyOutcome[] = [];
  const apply = async (objects: KubeObject[]) => {
    const done = await applyServed(kube, objects, { discovery });
    reportSkips(progress, done);
    outcomes.push(...done);
    return done;
  };
  await step(
    progress,
    options.isServingRepository
      ? 'serve the gitops repository to the cluster'
      : 'register the gitops repository with argo cd',
    () =>
      apply([
        ...(options.isServingRepository ? gitServerObjects() : []),
        repositorySecret(options.repoURL),
      ]),
    summary,
  );
  await step(
    progress,
    'apply the repository’s appprojects and applicationsets',
    async () =>
      apply(await options.repository.bootstrapObjects(options.repositoryDir, options.repoURL)),
    summary,
  );
  let paddockVersion: string;
  if (await options.repository.isPaddockEnabled(options.repositoryDir, options.repoURL)) {
    // Argo CD owns Paddock: it deploys the chart the repository holds, and nothing else applies it.
    const name = `wait for argo cd to deploy paddock (application ${PADDOCK_APPLICATION})`;
    if ((await discovery.resource('argoproj.io/v1alpha1', 'Application')) === undefined) {
      progress({
        type: 'skipped',
        step: name,
        reason: 'the API server does not serve Application (argoproj.io/v1alpha1): no Argo CD runs',
      });
    } else {
      await step(progress, name, () =>
        waitForPaddockApplication(kube, {
          progress,
          step: name,
          ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
        }),
      );
    }
    paddockVersion = paddockChartVersion().app;
  } else {
    const paddock = await step(
      progress,
      'install paddock',
      async () =>
        installPaddock(kube, {
          discovery,
          progress,
          values: await options.repository.paddockValues(options.repositoryDir, options.repoURL),
          ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
        }),
      (r) =>
        `version ${r.version}, ${summary(r.outcomes)} (the catalog's paddock entry is disabled: paddock install owns paddock)`,
    );
    outcomes.push(...paddock.outcomes);
    paddockVersion = paddock.version;
  }
  const password = await argocdAdminPassword(kube).catch(() => undefined);
  return {
    outcomes,
    paddockVersion,
    ...(password !== undefined && { argocdAdminPassword: password }),
  };
}
