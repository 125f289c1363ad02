// What the `paddock app …` verbs share: the catalog as the repository holds it, the app a NAME
// is (a custom app or a catalog entry, with its namespace and Application), a commit's line, and
// a Kubernetes client for a running cluster (a clear error for one that is not).
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import {
  AppHistory,
  type AppRef,
  applicationName,
  type Catalog,
  catalogOf,
  DEFAULT_CATALOG,
  type GitopsRepo,
  processRunner,
  type Session,
} from '@paddock/gitops';
import { KubeClient } from '@paddock/kube';

export const catalogOfRepo = async (repo: GitopsRepo): Promise<Catalog> => {
  const entries = await repo.readCatalog();
  return entries.length === 0 ? DEFAULT_CATALOG : catalogOf(entries);
};

export function commitLine(result: { committed: boolean; message: string; sha: string }): string {
  return result.committed
    ? `${result.message} (commit ${result.sha.slice(0, 12)})\n`
    : 'nothing to change\n';
}

/** An app of the repository: which kind, its Application's name and (if known) its namespace. */
export type ResolvedApp = AppRef & { application: string; namespace: string | undefined };

export function historyOf(repo: GitopsRepo): AppHistory {
  return new AppHistory({ dir: repo.dir, runner: processRunner() });
}

/**
 * The app NAME is: a custom app of `apps/coordinates/` (HEAD), else a catalog entry, else a custom
 * app that is gone from HEAD but has a history (a removed app can be rolled back).
 */
export async function resolveApp(repo: GitopsRepo, name: string): Promise<ResolvedApp> {
  const custom = (await repo.listApps()).find((a) => a.name === name);
  if (custom !== undefined) {
    return {
      kind: 'app',
      name,
      application: applicationName.app(name),
      namespace: custom.namespace,
    };
  }
  const entry = (await catalogOfRepo(repo)).byName.get(name);
  if (entry !== undefined) {
    return {
      kind: 'catalog',
      name,
      application: applicationName.catalog(name),
      namespace: entry.namespace,
    };
  }
  const ref = { kind: 'app', name } as const;
  if ((await historyOf(repo).history(ref, 1)).length > 0) {
    return { ...ref, application: applicationName.app(name), namespace: undefined };
  }
  throw new PaddockError(ErrorCode.NotFound, `no app or catalog entry named ${name}`, {
    name,
    hint: 'paddock app list shows the catalog and the custom apps',
  });
}

/**
 * The Application each NAME means: that of a custom app or catalog entry (`litellm` →
 * `catalog-litellm`, `my-api` → `app-my-api`), else NAME itself (an Application's own name, such
 * as `agent-team-a`).
 */
export async function applicationNamesOf(
  repo: GitopsRepo,
  names: readonly string[],
): Promise<string[]> {
  return Promise.all(
    names.map(async (name) => {
      try {
        return (await resolveApp(repo, name)).application;
      } catch (error) {
        if (
          isPaddockError(error, ErrorCode.NotFound) ||
          isPaddockError(error, ErrorCode.ValidationFailed)
        )
          return name;
        throw error;
      }
    }),
  );
}

/** Why a cluster's API cannot be asked (stopped, still being created), or undefined when it can. */
export function unreachable(session: Session): string | undefined {
  return session.state === 'running'
    ? undefined
    : `cluster ${session.name} is ${session.state}${session.state === 'stopped' ? ` (paddock cluster start ${session.name})` : ''}`;
}

/** A client of a running cluster's API server, closed after `use`; a clear error otherwise. */
export async function withRunningCluster<T>(
  session: Session,
  what: string,
  use: (kube: KubeClient) => Promise<T>,
): Promise<T> {
  const why = unreachable(session);
  if (why !== undefined) {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `${what} needs the cluster: ${why}`, {
      hint: `paddock cluster info ${session.name} shows its state`,
    });
  }
  const kube = await KubeClient.fromKubeconfig(session.kubeconfig, {
    userAgent: 'paddock-app',
    attempts: 2,
  });
  try {
    return await use(kube);
  } finally {
    kube.close();
  }
}
