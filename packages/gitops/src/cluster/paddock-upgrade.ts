/**
 * `paddock cluster upgrade paddock`: this CLI's chart into the GitOps repository (one commit),
 * which Argo CD deploys when the catalog's `paddock` entry is enabled; only when it is disabled
 * does `paddock install`'s applier run, with the same values Argo CD would use (the entry's, then
 * `infra/paddock.yaml`), pruning what the new version no longer renders. Run after Argo CD gave
 * Paddock back, it also finishes that handover: Argo CD's field manager lets go of the objects.
 */
import type { KubeClient } from '@paddock/kube';
import { GitopsRepo, paddockChartVersion, type YamlMap } from '../repo/index.ts';
import { installPaddock } from './in-cluster.ts';
import { Discovery } from './kube-objects.ts';
import {
  ARGOCD_MANAGER,
  hasPaddockApplication,
  INSTALL_MANAGER,
  releaseFields,
} from './paddock-handover.ts';
import { PADDOCK_APPLICATION } from './paddock-rollout.ts';
import { type Progress, step } from './steps.ts';
import type { ToolRunner } from './tool-runner.ts';

export type PaddockUpgradeOptions = {
  runner: ToolRunner;
  progress: Progress;
  repositoryDir: string;
  repoURL: string;
  /** Paddock's values when there is no repository on this machine. */
  fallbackValues: YamlMap;
  connect: () => Promise<KubeClient>;
};

/** Upgrades Paddock through its owner; returns the version it runs (or will, once Argo CD syncs). */
export async function upgradePaddock(options: PaddockUpgradeOptions): Promise<string> {
  const { progress } = options;
  const repository = new GitopsRepo({
    dir: options.repositoryDir,
    runner: options.runner,
    settings: { repoURL: options.repoURL },
  });
  const isInitialized = repository.isInitialized();
  if (isInitialized) {
    await step(
      progress,
      'update the paddock chart in the gitops repository',
      () => repository.upgradePaddockChart(),
      (r) => (r.committed ? r.message : 'up to date'),
    );
  } else {
    progress({
      type: 'skipped',
      step: 'update the paddock chart in the gitops repository',
      reason: 'the cluster has no gitops repository on this machine',
    });
  }
  const isArgocdOwner =
    isInitialized &&
    (await repository.readCatalog()).some((e) => e.name === 'paddock' && e.enabled);
  if (isArgocdOwner) {
    // One owner: Argo CD deploys the chart just committed; paddock install stays out.
    progress({
      type: 'skipped',
      step: 'upgrade paddock',
      reason: `Argo CD deploys it from the repository (application ${PADDOCK_APPLICATION}) when it next polls; paddock app sync paddock does it now`,
    });
    return paddockChartVersion().app;
  }
  const values = isInitialized ? await repository.paddockValues() : options.fallbackValues;
  const kube = await options.connect();
  try {
    const result = await step(progress, 'upgrade paddock', () =>
      installPaddock(kube, { discovery: new Discovery(kube), progress, values }),
    );
    const hasApplication = await hasPaddockApplication(kube);
    if (hasApplication === true) {
      progress({
        type: 'skipped',
        step: "release argo cd's fields to paddock install",
        reason: `Argo CD has not deleted Application ${PADDOCK_APPLICATION} yet (it keeps Paddock's objects when it does)`,
      });
    } else if (hasApplication === false) {
      await step(
        progress,
        "release argo cd's fields to paddock install",
        () => releaseFields(kube, { values, from: ARGOCD_MANAGER, to: INSTALL_MANAGER }),
        (r) => `${r.released.length} objects`,
      );
    }
    return result.version;
  } finally {
    kube.close();
  }
}
