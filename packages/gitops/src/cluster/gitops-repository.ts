/**
 * The seam to the GitOps repository (src/repo): what the cluster lifecycle needs from it, and the
 * implementation over src/repo's GitopsRepo (git run through the cluster's ToolRunner).
 */
import { CATALOG_ENTRIES } from '../catalog/index.ts';
import { GitopsRepo, type InfraComponent, type YamlMap } from '../repo/index.ts';
import type { KubeObject } from './kube-objects.ts';
import type { ToolRunner } from './tool-runner.ts';

/** How a new repository's catalog holds Paddock's own entry. */
export type PaddockEntryChoice = {
  /** Enabled: Argo CD deploys Paddock from the repository. Disabled: `paddock install` does. */
  enabled: boolean;
  /** Helm values of the entry (the cluster's ingress, …). */
  values?: YamlMap;
};

export type GitopsRepository = {
  /**
   * Creates the repository in `dir` (one commit), or brings its bootstrap objects up to date; a
   * repository without a catalog gets the compiled-in one (one more commit), its `paddock` entry
   * as `paddock` says. An existing catalog is left as it is.
   */
  ensure(
    dir: string,
    options: { cluster: string; repoURL: string; paddock: PaddockEntryChoice },
  ): Promise<void>;
  /** The Argo CD objects (AppProject, ApplicationSets) that deploy what `dir` holds from `repoURL`. */
  bootstrapObjects(dir: string, repoURL: string): Promise<KubeObject[]>;
  /** Whether the repository's catalog enables its `paddock` entry (then Argo CD owns Paddock). */
  isPaddockEnabled(dir: string, repoURL: string): Promise<boolean>;
  /**
   * The values Paddock is deployed with by either owner: the `paddock` entry's values with
   * `infra/paddock.yaml` deep-merged over them (`{}` when `dir` holds no repository).
   */
  paddockValues(dir: string, repoURL: string): Promise<YamlMap>;
  /**
   * `defaults` with the repository's `infra/<component>.yaml` deep-merged over them (maps merge,
   * the rest replaces); `defaults` alone when `dir` holds no such file (or no repository).
   * `validation_failed` naming the file when it is not a YAML map.
   */
  infraValues(
    dir: string,
    repoURL: string,
    component: InfraComponent,
    defaults: YamlMap,
  ): Promise<YamlMap>;
};

/** The commit message of the compiled-in catalog written into a new repository. */
export function defaultCatalogMessage(paddock: PaddockEntryChoice): string {
  return paddock.enabled
    ? 'catalog: the compiled-in catalog (paddock enabled: argo cd deploys it from this repository)'
    : 'catalog: the compiled-in catalog (paddock disabled: paddock install installs it)';
}

/** The repository of src/repo, its git run by `runner`. */
export function gitopsRepository(runner: ToolRunner): GitopsRepository {
  const open = (dir: string, repoURL: string) =>
    new GitopsRepo({ dir, runner, settings: { repoURL } });
  return {
    async ensure(dir, { repoURL, paddock }) {
      const repo = open(dir, repoURL);
      await repo.init();
      if ((await repo.readCatalog()).length > 0) return;
      const entries = CATALOG_ENTRIES.map((entry) =>
        entry.name === 'paddock'
          ? {
              ...entry,
              enabled: paddock.enabled,
              values: { ...(entry.values ?? {}), ...(paddock.values ?? {}) },
            }
          : entry,
      );
      await repo.writeCatalog(entries, { message: defaultCatalogMessage(paddock) });
    },
    async bootstrapObjects(dir, repoURL) {
      return open(dir, repoURL).bootstrapObjects();
    },
    async isPaddockEnabled(dir, repoURL) {
      const catalog = await open(dir, repoURL).readCatalog();
      return catalog.some((entry) => entry.name === 'paddock' && entry.enabled);
    },
    async paddockValues(dir, repoURL) {
      return open(dir, repoURL).paddockValues();
    },
    async infraValues(dir, repoURL, component, defaults) {
      return open(dir, repoURL).infraValues(component, defaults);
    },
  };
}
