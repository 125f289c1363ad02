import {
  ARGOCD_NAMESPACE,
  CustomAppInput,
  disable,
  enable,
  parseProfiles,
  profileEntries,
  type Session,
  syncApplications,
} from '@paddock/gitops';
import { KubeClient } from '@paddock/kube';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatList } from '../output.ts';
import { appHistoryCommands } from './app-history.ts';
import { logsCommand } from './app-logs.ts';
import { commitWithHandover, paddockChange } from './app-paddock.ts';
import { applicationNamesOf, catalogOfRepo, commitLine } from './app-support.ts';
import { repoOf, setsOf, valuesFileOf } from './cluster-repo.ts';
import { clusterEnv, targetCluster, timeoutMsOf } from './cluster-support.ts';

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

What Argo CD reports for the cluster's Applications (all, or those named: an app or catalog
entry by its name, litellm for catalog-litellm, or an Application by its own): sync status,
health, the last operation, the tier (sync wave) and the namespace. The cluster is
--cluster-name, else PADDOCK_CLUSTER, else the only one there is.

Example:
  paddock app status
  paddock app status litellm -o yaml
`,
  run: (context) =>
    withCluster(context, async (kube, session) => {
      const names = await applicationNamesOf(repoOf(context, session), context.args);
      const list = await kube.request<{ items?: Application[] }>(
        'GET',
        `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications`,
      );
      const items = (list.items ?? []).filter(
        (a) => names.length === 0 || names.includes(a.metadata.name),
      );
      const missing = context.args.filter(
        (_, i) => !items.some((a) => a.metadata.name === names[i]),
      );
      if (missing.length > 0)
        throw usageError(
          missing.map((n) => ({
            path: n,
            message: `no such Application on the cluster (looked for ${names[context.args.indexOf(n)]})`,
          })),
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

Asks Argo CD to sync the named Applications now (an app or catalog entry by its name, litellm
for catalog-litellm, or an Application by its own), lower tiers first, waiting for each tier
(paddock cluster sync does every Application).

Example:
  paddock app sync litellm langfuse
`,
  run: (context) =>
    withCluster(context, async (kube, session) => {
      if (context.args.length === 0)
        throw usageError([{ path: 'NAME', message: 'name at least one Application' }]);
      const names = await applicationNamesOf(repoOf(context, session), context.args);
      const result = await syncApplications(kube, {
        progress: clusterEnv(context).progress,
        names,
        timeoutMs: timeoutMsOf(context, 300_000),
      });
      const missing = names.filter((n) => !result.some((r) => r.application === n));
      if (missing.length > 0)
        throw usageError(
          missing.map((n) => ({ path: n, message: 'no such Application on the cluster' })),
        );
      context.io.stdout(result.map((r) => `${r.application}: ${r.phase}\n`).join(''));
      return 0;
    }),
};

type AppRow = {
  name: string;
  source: 'catalog' | 'custom';
  category: string;
  tier: string;
  enabled: boolean;
  namespace: string;
  chart: string;
};

const listCommand: Command = {
  path: ['app', 'list'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock app list [--cluster-name CLUSTER] [-o table|json|yaml|name]

The catalog's entries (enabled or not) and the custom apps of the cluster's GitOps repository.

Example:
  paddock app list
`,
  async run(context) {
    const repo = repoOf(context);
    const catalog = await catalogOfRepo(repo);
    const items: AppRow[] = [
      ...catalog.entries.map((e) => ({
        name: e.name,
        source: 'catalog' as const,
        category: e.category,
        tier: String(e.tier),
        enabled: e.enabled,
        namespace: e.namespace,
        chart: `${e.chart ?? ''}@${e.targetRevision}`,
      })),
      ...(await repo.listApps()).map((a) => ({
        name: a.name,
        source: 'custom' as const,
        category: '',
        tier: '',
        enabled: a.enabled,
        namespace: a.namespace,
        chart: `${a.source.chart || a.source.path}@${a.source.targetRevision}`,
      })),
    ];
    context.io.stdout(
      formatList(
        { items },
        {
          format: context.settings.output,
          nameOf: (a) => `app/${a.name}`,
          empty: 'No apps.\n',
          columns: [
            { header: 'NAME', value: (a) => a.name },
            { header: 'SOURCE', value: (a) => a.source },
            { header: 'CATEGORY', value: (a) => a.category },
            { header: 'TIER', value: (a) => a.tier },
            { header: 'ENABLED', value: (a) => String(a.enabled) },
            { header: 'NAMESPACE', value: (a) => a.namespace },
            { header: 'CHART', value: (a) => a.chart },
          ],
        },
      ),
    );
    return 0;
  },
};

const enableCommand: Command = {
  path: ['app', 'enable'],
  flags: ['home', 'cluster-name', 'profile', 'timeout'],
  help: `Usage: paddock app enable [NAME…] [--profile P[,P…]] [--cluster-name CLUSTER] [--timeout 10m]

Enables catalog entries, what they depend on (transitively) and the entries of the profiles
(agent-minimal, agent-dev, agent-safe, agent-full, rag; a list is their union) in one commit;
Argo CD rolls them out tier by tier. A custom app's name enables that app.

Enabling the paddock entry where paddock install installed Paddock hands it to Argo CD on the
running cluster: Argo CD adopts the same objects in place (no downtime), then paddock install's
field manager lets go of them (--timeout bounds the wait for Argo CD, default 10m).

Example:
  paddock app enable --profile agent-minimal
  paddock app enable litellm langfuse
`,
  async run(context) {
    const session = targetCluster(context);
    const repo = repoOf(context, session);
    const catalog = await catalogOfRepo(repo);
    const profiles =
      context.invocation.flags.profile === undefined
        ? []
        : parseProfiles(context.invocation.flags.profile);
    const custom = context.args.filter((n) => !catalog.byName.has(n));
    const names = [
      ...context.args.filter((n) => catalog.byName.has(n)),
      ...profileEntries(profiles),
    ];
    if (names.length === 0 && custom.length === 0)
      throw usageError([{ path: 'NAME', message: 'name an app or give --profile' }]);
    for (const name of custom) context.io.stdout(commitLine(await repo.enableApp(name)));
    if (names.length > 0) {
      const result = enable(catalog, names);
      const asked = [...new Set(names)];
      const pulled = result.enabled.filter((n) => !asked.includes(n));
      const message = `catalog: enable ${profiles.length > 0 ? `profile ${profiles.join(',')}` : asked.join(', ')}${pulled.length > 0 ? ` (+ ${pulled.join(', ')})` : ''}`;
      // Naming paddock again finishes a handover that waited for a stopped cluster.
      const change =
        paddockChange(catalog.entries, result.catalog.entries) ??
        (asked.includes('paddock') ? 'enable' : undefined);
      await commitWithHandover(context, {
        repo,
        session,
        change,
        commit: () => repo.writeCatalog(result.catalog.entries, { message }),
      });
    }
    return 0;
  },
};

const disableCommand: Command = {
  path: ['app', 'disable'],
  flags: ['home', 'cluster-name', 'force', 'timeout'],
  help: `Usage: paddock app disable NAME… [--force] [--cluster-name CLUSTER] [--timeout 10m]

Disables catalog entries (or custom apps) in one commit; Argo CD removes them. Refused while an
enabled entry depends on one, naming it, unless --force.

Disabling the paddock entry hands Paddock to paddock install on the running cluster: paddock
install applies over Argo CD's objects, the entry is disabled, Argo CD deletes its Application
but keeps the objects (no downtime), then its field manager lets go of them.

Example:
  paddock app disable langfuse
`,
  async run(context) {
    if (context.args.length === 0)
      throw usageError([{ path: 'NAME', message: 'name at least one app' }]);
    const session = targetCluster(context);
    const repo = repoOf(context, session);
    const catalog = await catalogOfRepo(repo);
    const custom = context.args.filter((n) => !catalog.byName.has(n));
    const names = context.args.filter((n) => catalog.byName.has(n));
    for (const name of custom) context.io.stdout(commitLine(await repo.disableApp(name)));
    if (names.length > 0) {
      const result = disable(catalog, names, { force: context.invocation.flags.force === true });
      await commitWithHandover(context, {
        repo,
        session,
        change: paddockChange(catalog.entries, result.catalog.entries),
        commit: () =>
          repo.writeCatalog(result.catalog.entries, {
            message: `catalog: disable ${names.join(', ')}`,
          }),
      });
    }
    return 0;
  },
};

const addCommand: Command = {
  path: ['app', 'add'],
  flags: ['home', 'cluster-name', 'set', 'values'],
  help: `Usage: paddock app add NAME --set repoURL=URL (--set chart=CHART | --set path=DIR) --set targetRevision=REV [--set namespace=NS] [--values FILE]

Adds a custom app to the repository in one commit: apps/coordinates/NAME.yaml (where its chart
is) and apps/values/NAME.yaml (its Helm values, from --values). Argo CD deploys it.

Example:
  paddock app add podinfo --set repoURL=https://stefanprodan.github.io/podinfo --set chart=podinfo --set targetRevision=6.9.2
`,
  async run(context) {
    if (context.args.length !== 1)
      throw usageError([{ path: 'NAME', message: 'takes exactly one NAME' }]);
    const input = CustomAppInput.safeParse({ ...setsOf(context), name: context.args[0] });
    if (!input.success) {
      throw usageError(
        input.error.issues.map((i) => ({ path: `--set ${i.path.join('.')}`, message: i.message })),
      );
    }
    context.io.stdout(commitLine(await repoOf(context).addApp(input.data, valuesFileOf(context))));
    return 0;
  },
};

const removeCommand: Command = {
  path: ['app', 'remove'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock app remove NAME [--cluster-name CLUSTER]

Removes a custom app from the repository in one commit; Argo CD deletes it.

Example:
  paddock app remove podinfo
`,
  async run(context) {
    if (context.args.length !== 1)
      throw usageError([{ path: 'NAME', message: 'takes exactly one NAME' }]);
    context.io.stdout(commitLine(await repoOf(context).removeApp(context.args[0] ?? '')));
    return 0;
  },
};

export const appCommands: readonly Command[] = [
  statusCommand,
  syncCommand,
  listCommand,
  enableCommand,
  disableCommand,
  addCommand,
  removeCommand,
  ...appHistoryCommands,
  logsCommand,
];
