// `paddock cluster create`: a k3d cluster (or, with --existing, a cluster you have) bootstrapped
// with Cilium, Argo CD, the GitOps repository and Paddock, host ports from the command line or
// chosen free, then the profiles' catalog entries enabled in one commit.
import {
  applyProfiles,
  bootstrapExisting,
  catalogOf,
  createCluster,
  DEFAULT_CATALOG,
  type HostPorts,
  parseProfiles,
  type Session,
} from '@paddock/gitops';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  canArgoCdReach,
  commitWithHandover,
  keepPaddockWhereUnreachable,
  paddockChange,
} from './app-paddock.ts';
import { printSession } from './cluster-print.ts';
import { repoOf } from './cluster-repo.ts';
import { clusterEnv, nameArg, timeoutMsOf } from './cluster-support.ts';

/** The host ports given on the command line, each a whole number from 1 to 65535. */
function hostPortsOf({ invocation }: CommandContext): Partial<HostPorts> {
  const ports: Partial<HostPorts> = {};
  const issues: Array<{ path: string; message: string }> = [];
  for (const role of ['api', 'http', 'https'] as const) {
    const text = invocation.flags[`${role}-port`];
    if (text === undefined) continue;
    const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (port >= 1 && port <= 65_535) ports[role] = port;
    else issues.push({ path: `--${role}-port`, message: 'must be a port number from 1 to 65535' });
  }
  if (issues.length > 0) throw usageError(issues);
  return ports;
}

export const createCommand: Command = {
  path: ['cluster', 'create'],
  flags: [
    'existing',
    'kubeconfig',
    'repo-url',
    'timeout',
    'home',
    'profile',
    'api-port',
    'http-port',
    'https-port',
  ],
  help: `Usage: paddock cluster create [NAME] [--profile P[,P…]] [--api-port N] [--http-port N] [--https-port N] [--existing [--kubeconfig FILE] [--repo-url URL]] [--timeout 10m]

Creates a local Kubernetes cluster for agents, managed through a git repository Argo CD watches
(NAME defaults to paddock). Step by step, each with its duration:
  1. chooses host ports: 6550 (API), 8080 (HTTP), 8443 (HTTPS), or the next free ones; a port
     given with --api-port, --http-port or --https-port is used as it is, and refused (naming
     the flag) when another process or another Paddock cluster has it;
  2. checks k3d, docker, helm and git are installed and a container engine runs (fails at once
     with the fix when not: paddock cluster doctor explains each check);
  3. creates the GitOps repository $PADDOCK_HOME/clusters/NAME/gitops (a git repository);
  4. k3d: one server; flannel, kube-proxy, the network policy controller, traefik and servicelb
     disabled; the repository mounted into the node;
  5. Cilium as the CNI and kube-proxy replacement, with Hubble (Helm);
  6. Argo CD (Helm) with its progressive syncs on (the catalog rolls out tier by tier), the
     in-cluster git server and the repository's AppProject and ApplicationSets; Helm gets the compiled-in values with the repository's infra/cilium.yaml
     or infra/argocd.yaml merged over them (written to $PADDOCK_HOME/clusters/NAME/cilium-values.yaml
     and argocd-values.yaml);
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
  paddock cluster create lab --http-port 9080 --https-port 9443
  paddock cluster create lab --existing --kubeconfig ~/.kube/lab --repo-url https://git.example.com/lab/gitops.git
`,
  async run(context) {
    const name = nameArg(context, 'paddock cluster create');
    const { flags } = context.invocation;
    const env = clusterEnv(context);
    const timeoutMs = timeoutMsOf(context, 600_000);
    const profiles = flags.profile === undefined ? [] : parseProfiles(flags.profile);
    const ports = hostPortsOf(context);
    if (flags.existing && Object.keys(ports).length > 0) {
      throw usageError(
        Object.keys(ports).map((role) => ({
          path: `--${role}-port`,
          message:
            'not with --existing (paddock publishes no ports on a cluster it did not create)',
        })),
      );
    }
    const started = performance.now();
    let session: Session;
    if (flags.existing) {
      const kubeconfig =
        flags.kubeconfig ??
        (context.env.KUBECONFIG?.split(':')[0] || `${context.env.HOME}/.kube/config`);
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
      session = await createCluster(env, { name, timeoutMs, ports });
    }
    if (profiles.length > 0) {
      const repo = repoOf(context, session);
      const catalog = await repo.readCatalog();
      const before = catalog.length === 0 ? DEFAULT_CATALOG : catalogOf(catalog);
      const result = applyProfiles(before, profiles);
      const { entries, isKept } = keepPaddockWhereUnreachable(
        before.entries,
        result.catalog.entries,
        canArgoCdReach(session, repo),
      );
      const enabled = isKept ? result.enabled.filter((n) => n !== 'paddock') : result.enabled;
      if (isKept) {
        context.io.stdout(
          'paddock stays with paddock install: Argo CD does not reach this repository (--repo-url)\n',
        );
      }
      await commitWithHandover(context, {
        repo,
        session,
        change: paddockChange(before.entries, entries),
        commit: () =>
          repo.writeCatalog(entries, {
            message: `catalog: enable profile ${profiles.join(',')} (${enabled.join(', ')})`,
          }),
        print: (commit) => context.io.stdout(`✓ ${commit.message}\n`),
      });
    }
    context.io.stdout(
      `cluster ${name} ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
    );
    printSession(context, session);
    return 0;
  },
};
