/**
 * The seam to the GitOps repository (src/repo): what the cluster lifecycle needs from it, and the
 * implementation over src/repo's GitopsRepo (git run through the cluster's ToolRunner).
 */
import { GitopsRepo } from '../repo/index.ts';
import type { KubeObject } from './kube-objects.ts';
import type { ToolRunner } from './tool-runner.ts';

export type GitopsRepository = {
  /** Creates the repository in `dir` (one commit), or brings its bootstrap objects up to date. */
  ensure(dir: string, options: { cluster: string; repoURL: string }): Promise<void>;
  /** The Argo CD objects (AppProject, ApplicationSets) that deploy what `dir` holds from `repoURL`. */
  bootstrapObjects(dir: string, repoURL: string): Promise<KubeObject[]>;
};

/** The repository of src/repo, its git run by `runner`. */
export function gitopsRepository(runner: ToolRunner): GitopsRepository {
  const open = (dir: string, repoURL: string) =>
    new GitopsRepo({ dir, runner, settings: { repoURL } });
  return {
    async ensure(dir, { repoURL }) {
      await open(dir, repoURL).init();
    },
    async bootstrapObjects(dir, repoURL) {
      return open(dir, repoURL).bootstrapObjects();
    },
  };
}
