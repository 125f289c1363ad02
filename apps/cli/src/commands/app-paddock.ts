// `paddock app enable|disable paddock`: the catalog's `paddock` entry decides who deploys Paddock
// (enabled: Argo CD, from the repository; disabled: `paddock install`). Changing it on a running
// cluster hands Paddock from one owner to the other in place (see @paddock/gitops'
// paddock-handover): enabling commits, then waits for Argo CD to adopt Paddock's objects;
// disabling has `paddock install` take them over first, then commits.
import { ErrorCode, PaddockError } from '@paddock/core';
import {
  type CatalogEntry,
  type CommitResult,
  type GitopsRepo,
  handOverToArgoCd,
  handOverToInstall,
  IN_CLUSTER_REPO_URL,
  type Session,
} from '@paddock/gitops';
import type { CommandContext } from '../command.ts';
import { commitLine, unreachable, withRunningCluster } from './app-support.ts';
import { clusterEnv, timeoutMsOf } from './cluster-support.ts';

const isPaddockOn = (entries: readonly Pick<CatalogEntry, 'name' | 'enabled'>[]) =>
  entries.some((e) => e.name === 'paddock' && e.enabled);

/** Whether the change from `before` to `after` enables or disables the `paddock` entry. */
export function paddockChange(
  before: readonly Pick<CatalogEntry, 'name' | 'enabled'>[],
  after: readonly Pick<CatalogEntry, 'name' | 'enabled'>[],
): 'enable' | 'disable' | undefined {
  const [was, is] = [isPaddockOn(before), isPaddockOn(after)];
  return was === is ? undefined : is ? 'enable' : 'disable';
}

/** Whether Argo CD can deploy from the cluster's repository (not: `--existing` without `--repo-url`). */
export function canArgoCdReach(session: Session, repo: GitopsRepo): boolean {
  return !(session.mode === 'existing' && repo.settings.repoURL === IN_CLUSTER_REPO_URL);
}

/**
 * `after` (a profile's catalog) for a cluster whose repository Argo CD may not reach: when it
 * would enable the `paddock` entry there, the entry stays disabled (`isKept`), so Paddock stays
 * with `paddock install` instead of going to an Argo CD that cannot deploy it.
 */
export function keepPaddockWhereUnreachable<E extends Pick<CatalogEntry, 'name' | 'enabled'>>(
  before: readonly E[],
  after: readonly E[],
  canReach: boolean,
): { entries: E[]; isKept: boolean } {
  if (canReach || paddockChange(before, after) !== 'enable') {
    return { entries: [...after], isKept: false };
  }
  return {
    entries: after.map((e) => (e.name === 'paddock' ? { ...e, enabled: false } : e)),
    isKept: true,
  };
}

/**
 * Commits the catalog change `commit` makes; when it moves Paddock to another owner, hands it
 * over on the cluster (enable: after the commit; disable: `paddock install` first). Refuses, before
 * committing, what would leave Paddock without an owner that can reach it.
 */
export async function commitWithHandover(
  context: CommandContext,
  options: {
    repo: GitopsRepo;
    session: Session;
    change: 'enable' | 'disable' | undefined;
    commit: () => Promise<CommitResult>;
    /** How the commit is reported (default: its message and short hash). */
    print?: (result: CommitResult) => void;
  },
): Promise<void> {
  const { repo, session, change } = options;
  const print = options.print ?? ((result: CommitResult) => context.io.stdout(commitLine(result)));
  if (change === undefined) {
    print(await options.commit());
    return;
  }
  const why = unreachable(session);
  if (change === 'enable' && !canArgoCdReach(session, repo)) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `Argo CD cannot deploy Paddock on cluster ${session.name}: it does not reach this machine's repository`,
      {
        hint: `push ${repo.dir} to a git server the cluster reaches, then paddock cluster create ${session.name} --existing --kubeconfig FILE --repo-url URL`,
      },
    );
  }
  if (change === 'disable' && why !== undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `disabling paddock hands it to paddock install, which needs the cluster: ${why}`,
      { hint: `paddock cluster info ${session.name} shows its state` },
    );
  }
  const handover = {
    progress: clusterEnv(context).progress,
    timeoutMs: timeoutMsOf(context, 600_000),
  };
  if (change === 'disable') {
    await withRunningCluster(session, 'paddock app disable paddock', async (kube) => {
      const release = await handOverToInstall(kube, {
        ...handover,
        values: await repo.paddockValues(),
        bootstrapObjects: repo.bootstrapObjects(),
        disable: async () => print(await options.commit()),
      });
      context.io.stdout(`paddock install owns Paddock (${release.released.length} objects)\n`);
    });
    return;
  }
  print(await options.commit());
  if (why !== undefined) {
    context.io.stdout(
      `${why}: Argo CD adopts Paddock when it runs; paddock app enable paddock again then hands it over\n`,
    );
    return;
  }
  await withRunningCluster(session, 'paddock app enable paddock', async (kube) => {
    const release = await handOverToArgoCd(kube, {
      ...handover,
      values: await repo.paddockValues(),
    });
    context.io.stdout(`Argo CD owns Paddock (${release.released.length} objects)\n`);
  });
}
