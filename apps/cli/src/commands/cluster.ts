import { ErrorCode, PaddockError } from '@paddock/core';
import {
  CheckStatus,
  type ClusterCheck,
  checkCluster,
  checkContainerEngine,
  checkTools,
  clusterInfo,
  deleteCluster,
  formatClusterChecks,
  listClusters,
  readSession,
  type Session,
  startCluster,
  stopCluster,
  syncApplications,
  UpgradeTarget,
  upgradeCluster,
} from '@paddock/gitops';
import { KubeClient } from '@paddock/kube';
import { usageError } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { formatList } from '../output.ts';
import { clusterRepoCommands } from './cluster-agent.ts';
import { createCommand } from './cluster-create.ts';
import { printSession } from './cluster-print.ts';
import { clusterEnv, homeOf, nameArg, notYet, timeoutMsOf } from './cluster-support.ts';

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

Moves the cluster's Cilium and Argo CD to the chart versions this CLI pins (helm upgrade, with
the compiled-in values and the GitOps repository's infra/cilium.yaml or infra/argocd.yaml merged
over them: edit one, commit, upgrade to apply it) and Paddock to this CLI's version: its chart in the GitOps repository is replaced in one commit,
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
