import { ARGOCD_NAMESPACE, type Session, syncApplications } from '@paddock/gitops';
import { KubeClient } from '@paddock/kube';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatList } from '../output.ts';
import { pending, REPO_API } from './cluster.ts';
import { clusterEnv, targetCluster, timeoutMsOf } from './cluster-support.ts';

const CATALOG_API =
  "the catalog's API (src/catalog of @paddock/gitops) and the GitOps repository's";

type Application = {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: {
    destination?: { namespace?: string };
    source?: { chart?: string; targetRevision?: string; path?: string };
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string };
  };
};

async function withCluster<T>(
  context: CommandContext,
  use: (kube: KubeClient, session: Session) => Promise<T>,
): Promise<T> {
  const session = targetCluster(context);
  const kube = await KubeClient.fromKubeconfig(session.kubeconfig, { userAgent: 'paddock-app' });
  try {
    return await use(kube, session);
  } finally {
    kube.close();
  }
}

const statusCommand: Command = {
  path: ['app', 'status'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock app status [NAME…] [--cluster-name CLUSTER] [-o table|json|yaml|name]

What Argo CD reports for the cluster's Applications (all, or those named): sync status, health,
the last operation, the tier (sync wave) and the namespace. The cluster is --cluster-name, else
PADDOCK_CLUSTER, else the only one there is.

Example:
  paddock app status
  paddock app status litellm -o yaml
`,
  run: (context) =>
    withCluster(context, async (kube) => {
      const list = await kube.request<{ items?: Application[] }>(
        'GET',
        `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications`,
      );
      const items = (list.items ?? []).filter(
        (a) => context.args.length === 0 || context.args.includes(a.metadata.name),
      );
      const missing = context.args.filter((n) => !items.some((a) => a.metadata.name === n));
      if (missing.length > 0)
        throw usageError(
          missing.map((n) => ({ path: n, message: 'no such Application on the cluster' })),
        );
      context.io.stdout(
        formatList(
          { items },
          {
            format: context.settings.output,
            nameOf: (a) => `application/${a.metadata.name}`,
            empty: 'No Applications yet (paddock app enable NAME, once the catalog lands).\n',
            columns: [
              { header: 'NAME', value: (a) => a.metadata.name },
              {
                header: 'TIER',
                value: (a) => a.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0',
              },
              { header: 'SYNC', value: (a) => a.status?.sync?.status ?? 'Unknown' },
              { header: 'HEALTH', value: (a) => a.status?.health?.status ?? 'Unknown' },
              { header: 'OPERATION', value: (a) => a.status?.operationState?.phase ?? '' },
              { header: 'NAMESPACE', value: (a) => a.spec?.destination?.namespace ?? '' },
            ],
          },
        ),
      );
      return 0;
    }),
};

const syncCommand: Command = {
  path: ['app', 'sync'],
  flags: ['home', 'cluster-name', 'timeout'],
  help: `Usage: paddock app sync NAME… [--cluster-name CLUSTER] [--timeout 5m]

Asks Argo CD to sync the named Applications now, lower tiers first, waiting for each tier
(paddock cluster sync does every Application).

Example:
  paddock app sync litellm langfuse
`,
  run: (context) =>
    withCluster(context, async (kube) => {
      if (context.args.length === 0)
        throw usageError([{ path: 'NAME', message: 'name at least one Application' }]);
      const result = await syncApplications(kube, {
        progress: clusterEnv(context).progress,
        names: context.args,
        timeoutMs: timeoutMsOf(context, 300_000),
      });
      context.io.stdout(result.map((r) => `${r.application}: ${r.phase}\n`).join(''));
      return 0;
    }),
};

export const appCommands: readonly Command[] = [
  statusCommand,
  syncCommand,
  pending(
    ['app', 'add'],
    REPO_API,
    'NAME --values FILE',
    'Adds a custom app (apps/coordinates/NAME.yaml and apps/values/NAME.yaml) in one commit.',
  ),
  pending(['app', 'remove'], REPO_API, 'NAME', 'Removes a custom app in one commit.'),
  pending(['app', 'list'], CATALOG_API, '', 'Lists the catalog and custom apps, enabled or not.'),
  pending(
    ['app', 'enable'],
    CATALOG_API,
    'NAME… [--profile P]',
    'Enables catalog entries and their dependencies in one commit.',
  ),
  pending(
    ['app', 'disable'],
    CATALOG_API,
    'NAME… [--force]',
    'Disables catalog entries (refused while dependents are enabled).',
  ),
  pending(
    ['app', 'diff'],
    "Argo CD's API server (managed resources), not reached by this CLI yet",
    'NAME',
    'Shows what a sync would change.',
  ),
  pending(
    ['app', 'logs'],
    'pod logs of an Application’s resources, not wired yet',
    'NAME',
    "Prints the logs of an Application's pods.",
  ),
  pending(
    ['app', 'rollback'],
    "Argo CD's rollback (automated sync must be off for it), not wired yet",
    'NAME [REVISION]',
    'Rolls an Application back to an earlier revision.',
  ),
];
