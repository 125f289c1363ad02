import { ErrorCode, PaddockError } from '@paddock/core';
import {
  applyProfiles,
  bootstrapExisting,
  CheckStatus,
  type ClusterCheck,
  catalogOf,
  checkCluster,
  checkContainerEngine,
  checkTools,
  clusterInfo,
  createCluster,
  DEFAULT_CATALOG,
  deleteCluster,
  formatClusterChecks,
  listClusters,
  parseProfiles,
  readSession,
  type Session,
  startCluster,
  stopCluster,
  syncApplications,
  UpgradeTarget,
  upgradeCluster,
} from '@paddock/gitops';
import { KubeClient } from '@paddock/kube';
import { stringify } from 'yaml';
import { OutputFormat, usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatList } from '../output.ts';
import { clusterRepoCommands } from './cluster-agent.ts';
import { repoOf } from './cluster-repo.ts';
import { clusterEnv, homeOf, nameArg, notYet, timeoutMsOf } from './cluster-support.ts';

function printSession(context: CommandContext, session: Session) {
  const format = context.settings.output;
  if (format === OutputFormat.Json) {
    context.io.stdout(`${JSON.stringify(session, null, 2)}\n`);
    return;
  }
  if (format === OutputFormat.Yaml) {
    context.io.stdout(stringify(session));
    return;
  }
  if (format === OutputFormat.Name) {
    context.io.stdout(`cluster/${session.name}\n`);
    return;
  }
  const { urls, ports, bootstrap } = session;
  const rows: Array<[string, string | undefined]> = [
    ['name', session.name],
    ['state', session.error ? `${session.state}: ${session.error}` : session.state],
    ['mode', session.mode],
    ['nodes', String(session.nodeCount)],
    ['kubeconfig', session.kubeconfig],
    ['api', urls.api],
    ['argo cd', urls.argocd],
    ['hubble', urls.hubble],
    ['paddock', urls.paddock],
    ['repository', urls.repository],
    [
      'ports',
      ports.api === undefined
        ? undefined
        : `api ${ports.api}, http ${ports.http}, https ${ports.https}`,
    ],
    [
      'versions',
      [
        `bootstrap ${bootstrap.version}`,
        bootstrap.cilium && `cilium ${bootstrap.cilium}`,
        bootstrap.argocd && `argo-cd chart ${bootstrap.argocd}`,
        bootstrap.paddock && `paddock ${bootstrap.paddock}`,
      ]
        .filter(Boolean)
        .join(', '),
    ],
    [
      'argo cd login',
      session.credentials.argocdAdminPassword
        ? 'admin (password: paddock cluster info -o yaml)'
        : undefined,
    ],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  context.io.stdout(
    shown
      .map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`)
      .join('\n')
      .concat('\n'),
  );
}

const createCommand: Command = {
  path: ['cluster', 'create'],
  flags: ['existing', 'kubeconfig', 'repo-url', 'timeout', 'home', 'profile'],
  help: `Usage: paddock cluster create [NAME] [--profile P[,P…]] [--existing [--kubeconfig FILE] [--repo-url URL]] [--timeout 10m]

Creates a local Kubernetes cluster for agents, managed through a git repository Argo CD watches
(NAME defaults to paddock). Step by step, each with its duration:
  1. checks k3d, docker, helm and git are installed and a container engine runs (fails at once
     with the fix when not: paddock cluster doctor explains each check);
  2. chooses host ports: 6550 (API), 8080 (HTTP), 8443 (HTTPS), or the next free ones;
  3. creates the GitOps repository $PADDOCK_HOME/clusters/NAME/gitops (a git repository);
  4. k3d: one server; flannel, kube-proxy, the network policy controller, traefik and servicelb
     disabled; the repository mounted into the node;
  5. Cilium as the CNI and kube-proxy replacement, with Hubble (Helm);
  6. Argo CD (Helm), the in-cluster git server and the repository's AppProject and ApplicationSets;
  7. Paddock, deployed by Argo CD from the chart in the repository (the catalog's paddock entry,
     enabled by default): create waits until Application catalog-paddock is Synced and Healthy,
     printing each state it passes; only when that entry is disabled does paddock install's
     applier install Paddock instead (one owner, never both);
  8. with --profile (agent-minimal, agent-dev, agent-safe, agent-full, rag; a list is their
     union), the profiles' catalog entries enabled in one commit, which Argo CD rolls out.
State, URLs, ports and credentials go to $PADDOCK_HOME/clusters/NAME/session.yaml.

--existing bootstraps a cluster you already have instead (the --kubeconfig one, default
$KUBECONFIG, then ~/.kube/config): Argo CD unless it is there, the repository's Argo CD objects
and Paddock. That cluster cannot mount this machine's repository: push it to a git server the
cluster reaches and give --repo-url (then Argo CD deploys Paddock from it; without --repo-url the
new repository's catalog disables the paddock entry and paddock install installs Paddock).

Example:
  paddock cluster create
  paddock cluster create --profile agent-dev
  paddock cluster create lab --existing --kubeconfig ~/.kube/lab --repo-url https://git.example.com/lab/gitops.git
`,
  async run(context) {
    const name = nameArg(context, 'paddock cluster create');
    const { flags } = context.invocation;
    const env = clusterEnv(context);
    const timeoutMs = timeoutMsOf(context, 600_000);
    const profiles = flags.profile === undefined ? [] : parseProfiles(flags.profile);
    const started = performance.now();
    let session: Session;
    if (flags.existing) {
      const kubeconfig =
        flags.kubeconfig ??
        (process.env.KUBECONFIG?.split(':')[0] || `${process.env.HOME}/.kube/config`);
      session = await bootstrapExisting(env, {
        name,
        kubeconfig,
        timeoutMs,
        ...(flags['repo-url'] !== undefined && { repoURL: flags['repo-url'] }),
      });
    } else {
      const issues = (['kubeconfig', 'repo-url'] as const)
        .filter((f) => flags[f] !== undefined)
        .map((f) => ({ path: `--${f}`, message: 'only with --existing' }));
      if (issues.length > 0) throw usageError(issues);
      session = await createCluster(env, { name, timeoutMs });
    }
    if (profiles.length > 0) {
      const repo = repoOf(context, session);
      const catalog = await repo.readCatalog();
      const result = applyProfiles(
        catalog.length === 0 ? DEFAULT_CATALOG : catalogOf(catalog),
        profiles,
      );
      const commit = await repo.writeCatalog(result.catalog.entries, {
        message: `catalog: enable profile ${profiles.join(',')} (${result.enabled.join(', ')})`,
      });
      context.io.stdout(`✓ ${commit.message}\n`);
    }
    context.io.stdout(
      `cluster ${name} ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
    );
    printSession(context, session);
    return 0;
  },
};

const deleteCommand: Command = {
  path: ['cluster', 'delete'],
  flags: ['home'],
  help: `Usage: paddock cluster delete [NAME]

Deletes the k3d cluster and $PADDOCK_HOME/clusters/NAME (its session and GitOps repository; take
a copy first if you want to keep the repository). A cluster bootstrapped with --existing is left
running: only Paddock's record of it goes.

Example:
  paddock cluster delete lab
`,
  async run(context) {
    const name = nameArg(context, 'paddock cluster delete');
    await deleteCluster(clusterEnv(context), name);
    context.io.stdout(`cluster ${name} deleted\n`);
    return 0;
  },
};

const startCommand: Command = {
  path: ['cluster', 'start'],
  flags: ['home'],
  help: `Usage: paddock cluster start [NAME]

Starts a stopped k3d cluster (its containers) and waits until its API answers.

Example:
  paddock cluster start
`,
  async run(context) {
    const session = await startCluster(
      clusterEnv(context),
      nameArg(context, 'paddock cluster start'),
    );
    context.io.stdout(`cluster ${session.name} ${session.state}\n`);
    return 0;
  },
};

const stopCommand: Command = {
  path: ['cluster', 'stop'],
  flags: ['home'],
  help: `Usage: paddock cluster stop [NAME]

Stops a k3d cluster's containers; everything in it stays for paddock cluster start.

Example:
  paddock cluster stop
`,
  async run(context) {
    const session = await stopCluster(
      clusterEnv(context),
      nameArg(context, 'paddock cluster stop'),
    );
    context.io.stdout(`cluster ${session.name} ${session.state}\n`);
    return 0;
  },
};

const listCommand: Command = {
  path: ['cluster', 'list'],
  flags: ['home'],
  help: `Usage: paddock cluster list [-o table|json|yaml|name]

The clusters this machine's Paddock manages, from their session.yaml files.

Example:
  paddock cluster list -o yaml
`,
  async run(context) {
    if (context.args.length > 0)
      throw usageError([{ path: context.args[0] ?? '', message: 'takes no arguments' }]);
    const items = listClusters(homeOf(context));
    context.io.stdout(
      formatList(
        { items },
        {
          format: context.settings.output,
          nameOf: (s) => `cluster/${s.name}`,
          empty: 'No clusters (paddock cluster create makes one).\n',
          columns: [
            { header: 'NAME', value: (s) => s.name },
            { header: 'STATE', value: (s) => s.state },
            { header: 'MODE', value: (s) => s.mode },
            { header: 'NODES', value: (s) => String(s.nodeCount) },
            { header: 'API', value: (s) => s.urls.api ?? '' },
            { header: 'ARGO CD', value: (s) => s.urls.argocd ?? '' },
            { header: 'CREATED', value: (s) => s.createdAt },
          ],
        },
      ),
    );
    return 0;
  },
};

const infoCommand: Command = {
  path: ['cluster', 'info'],
  flags: ['home'],
  help: `Usage: paddock cluster info [NAME] [-o json|yaml]

A cluster's state, URLs, ports, node count, kubeconfig and bootstrapped versions. -o yaml prints
the whole session.yaml, Argo CD's admin password included.

Example:
  paddock cluster info
  export KUBECONFIG=$(paddock cluster info -o json | jq -r .kubeconfig)
`,
  async run(context) {
    const { session } = clusterInfo(homeOf(context), nameArg(context, 'paddock cluster info'));
    printSession(context, session);
    return 0;
  },
};

const doctorCommand: Command = {
  path: ['cluster', 'doctor'],
  flags: ['home'],
  help: `Usage: paddock cluster doctor [NAME]

Checks what a cluster needs, each with what was found and, when wrong, the cause and the fix:
k3d, docker, helm and git installed; a container engine running; then, on the cluster: nodes
Ready, Cilium and Hubble, Argo CD's components, each Application Synced and Healthy, each agent
namespace. Checks that need a cluster say "skipped: <why>" when there is none. Exits non-zero
when a check fails.

Example:
  paddock cluster doctor
`,
  async run(context) {
    const name = nameArg(context, 'paddock cluster doctor');
    const env = clusterEnv(context);
    const checks: ClusterCheck[] = [
      ...(await checkTools(env.runner, ['k3d', 'docker', 'helm', 'git'])),
      await checkContainerEngine(env.runner),
    ];
    let session: Session | undefined;
    let why: string | undefined;
    try {
      session = readSession(env.home, name);
    } catch (error) {
      if (!(error instanceof PaddockError && error.code === ErrorCode.NotFound)) throw error;
      why = `no cluster named ${name} (paddock cluster create ${name})`;
    }
    if (session?.state === 'stopped')
      why = `cluster ${name} is stopped (paddock cluster start ${name})`;
    if (session !== undefined && why === undefined) {
      let kube: KubeClient | undefined;
      try {
        kube = await KubeClient.fromKubeconfig(session.kubeconfig, {
          userAgent: 'paddock-doctor',
          attempts: 2,
        });
        await kube.request('GET', '/version');
        checks.push(...(await checkCluster(kube)));
      } catch (error) {
        why = `cannot reach the cluster's API server: ${(error as Error).message}`;
      } finally {
        kube?.close();
      }
    }
    if (why !== undefined) checks.push(...(await checkCluster({ skipped: why })));
    context.io.stdout(formatClusterChecks(checks));
    return checks.some((c) => c.status === CheckStatus.Fail) ? 1 : 0;
  },
};

const upgradeCommand: Command = {
  path: ['cluster', 'upgrade'],
  flags: ['home'],
  help: `Usage: paddock cluster upgrade [NAME] [cilium|argocd|paddock]…

Moves the cluster's Cilium and Argo CD to the chart versions this CLI pins (helm upgrade) and
Paddock to this CLI's version: its chart in the GitOps repository is replaced in one commit,
which Argo CD deploys (paddock app sync paddock does it at once); only when the catalog's paddock
entry is disabled does paddock install's applier upgrade it instead. All three unless named. On
a cluster bootstrapped with --existing only Paddock is upgraded.

Example:
  paddock cluster upgrade
  paddock cluster upgrade lab argocd
`,
  async run(context) {
    const targets = Object.values(UpgradeTarget) as string[];
    const [first, ...rest] = context.args;
    const isName = first !== undefined && !targets.includes(first);
    const name = nameArg({ ...context, args: isName ? [first] : [] }, 'paddock cluster upgrade');
    const named = isName ? rest : context.args;
    const bad = named.filter((t) => !targets.includes(t));
    if (bad.length > 0)
      throw usageError(bad.map((t) => ({ path: t, message: `not one of ${targets.join(', ')}` })));
    const session = await upgradeCluster(
      clusterEnv(context),
      name,
      named.length === 0
        ? undefined
        : named.map(
            (t) => Object.values(UpgradeTarget).find((u) => u === t) ?? UpgradeTarget.Paddock,
          ),
    );
    context.io.stdout(`cluster ${session.name} upgraded\n`);
    return 0;
  },
};

const syncCommand: Command = {
  path: ['cluster', 'sync'],
  flags: ['home', 'timeout'],
  help: `Usage: paddock cluster sync [NAME] [--timeout 5m]

Asks Argo CD to sync every Application now instead of at its next poll, tier by tier (their sync
waves, lowest first): each tier's sync is requested as argocd app sync does (the Application's
operation field) and finished before the next tier starts.

Example:
  paddock cluster sync
`,
  async run(context) {
    const session = readSession(homeOf(context), nameArg(context, 'paddock cluster sync'));
    const env = clusterEnv(context);
    const kube = await KubeClient.fromKubeconfig(session.kubeconfig, {
      userAgent: 'paddock-cluster',
    });
    try {
      const result = await syncApplications(kube, {
        progress: env.progress,
        timeoutMs: timeoutMsOf(context, 300_000),
      });
      context.io.stdout(
        formatList(
          { items: result },
          {
            format: context.settings.output,
            nameOf: (r) => `application/${r.application}`,
            empty: 'No Applications to sync.\n',
            columns: [
              { header: 'TIER', value: (r) => String(r.tier) },
              { header: 'APPLICATION', value: (r) => r.application },
              { header: 'PHASE', value: (r) => r.phase },
            ],
          },
        ),
      );
    } finally {
      kube.close();
    }
    return 0;
  },
};

function pending(path: string[], needs: string, usage: string, what: string): Command {
  return {
    path,
    flags: ['home', 'cluster-name'],
    help: `Usage: paddock ${path.join(' ')} ${usage}

${what}
Not available yet: it needs ${needs} (issue 20).

Example:
  paddock ${path.join(' ')} ${usage.split(' ')[0] ?? ''}
`,
    run: async () => {
      throw notYet(`paddock ${path.join(' ')}`, needs);
    },
  };
}

export const clusterCommands: readonly Command[] = [
  createCommand,
  deleteCommand,
  startCommand,
  stopCommand,
  listCommand,
  infoCommand,
  doctorCommand,
  upgradeCommand,
  syncCommand,
  ...clusterRepoCommands,
];

export { pending };
