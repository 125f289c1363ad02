import { AgentSpec, ClusterMode, mergeAgentChanges } from '@paddock/gitops';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatList } from '../output.ts';
import { repoOf, setsOf, snapshotsOf } from './cluster-repo.ts';
import { targetCluster } from './cluster-support.ts';

function oneName({ args }: CommandContext, command: string): string {
  if (args.length !== 1 || args[0] === undefined) {
    throw usageError([{ path: 'NAME', message: `${command} takes exactly one NAME` }]);
  }
  return args[0];
}

function noArgs({ args }: CommandContext) {
  if (args.length > 0) throw usageError([{ path: args[0] ?? '', message: 'takes no arguments' }]);
}

const QUANTITIES = ['cpu', 'memory', 'requestsCpu', 'requestsMemory'];

const CLUSTER_FLAG = `The cluster is --cluster-name, else PADDOCK_CLUSTER, else the only one there is.`;

/** `--set` pairs of an agent namespace: quantities as strings (`cpu=2` reads as the number 2). */
function agentSets(context: CommandContext): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(setsOf(context)).map(([key, value]) => [
      key,
      QUANTITIES.includes(key) && typeof value === 'number' ? String(value) : value,
    ]),
  );
}

function invalidSets(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>) {
  return usageError(
    issues.map((i) => ({
      path: i.path.length > 0 ? `--set ${i.path.join('.')}` : 'NAME',
      message: i.message,
    })),
  );
}

const KEYS = `Keys: cpu (default 4), memory (8Gi), requestsCpu, requestsMemory, pods (20) — each container
that names no resources gets its share (quota ÷ pods) from a LimitRange; egress.dns (true),
egress.namespaces ([]), egress.cidrs ([]), egress.internet (false), egress.fqdns ([], domains on
TCP 443 such as api.openai.com or *.anthropic.com: Cilium only), ingressFromNamespaces ([]),
cilium (true on a cluster paddock created, which runs Cilium; false with --existing): also a
CiliumNetworkPolicy sending DNS through Cilium's proxy and granting egress.fqdns.`;

const agentCreate: Command = {
  path: ['cluster', 'agent', 'create'],
  flags: ['home', 'cluster-name', 'set'],
  help: `Usage: paddock cluster agent create NAME [--set KEY=VALUE]… [--cluster-name CLUSTER]

Writes an agent namespace to the cluster's GitOps repository in one commit: the Namespace, a
ResourceQuota (requests, limits, pods), a LimitRange, NetworkPolicies (deny by default; DNS, the
namespaces and CIDRs allowed), a ServiceAccount and, with Cilium, a CiliumNetworkPolicy; Argo CD
creates them. ${KEYS} ${CLUSTER_FLAG}

Example:
  paddock cluster agent create team-a --set cpu=8 --set memory=16Gi --set egress.namespaces=[litellm,observability]
`,
  async run(context) {
    const name = oneName(context, 'paddock cluster agent create');
    const session = targetCluster(context);
    const spec = AgentSpec.safeParse({
      cilium: session.mode === ClusterMode.K3d,
      ...agentSets(context),
      name,
    });
    if (!spec.success) throw invalidSets(spec.error.issues);
    const result = await repoOf(context, session).addAgent(name, spec.data);
    context.io.stdout(`${result.message} (commit ${result.sha.slice(0, 12)})\n`);
    return 0;
  },
};

const agentUpdate: Command = {
  path: ['cluster', 'agent', 'update'],
  flags: ['home', 'cluster-name', 'set'],
  help: `Usage: paddock cluster agent update NAME --set KEY=VALUE… [--cluster-name CLUSTER]

Changes an agent namespace's quota or grants in one commit (its manifests rewritten in place, the
namespace never removed): the keys given replace the current ones; egress keys are replaced one
by one (egress.fqdns alone keeps egress.namespaces). ${KEYS} ${CLUSTER_FLAG}

Example:
  paddock cluster agent update team-a --set cpu=8 --set 'egress.fqdns=[api.openai.com,*.anthropic.com]'
`,
  async run(context) {
    const name = oneName(context, 'paddock cluster agent update');
    const changes = agentSets(context);
    if (Object.keys(changes).length === 0) {
      throw usageError([{ path: '--set', message: 'give at least one KEY=VALUE to change' }]);
    }
    const repo = repoOf(context);
    const current = (await repo.listAgents()).find((agent) => agent.name === name);
    if (current !== undefined) {
      const spec = AgentSpec.safeParse(mergeAgentChanges(current, changes));
      if (!spec.success) throw invalidSets(spec.error.issues);
    }
    // A missing namespace is the repository's not_found.
    const result = await repo.updateAgent(name, changes);
    context.io.stdout(
      result.committed
        ? `${result.message} (commit ${result.sha.slice(0, 12)})\n`
        : `agent namespace ${name} unchanged\n`,
    );
    return 0;
  },
};

const agentList: Command = {
  path: ['cluster', 'agent', 'list'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster agent list [--cluster-name CLUSTER] [-o table|json|yaml|name]

The agent namespaces the cluster's GitOps repository holds. ${CLUSTER_FLAG}

Example:
  paddock cluster agent list -o yaml
`,
  async run(context) {
    noArgs(context);
    const items = await repoOf(context).listAgents();
    context.io.stdout(
      formatList(
        { items },
        {
          format: context.settings.output,
          nameOf: (a) => `namespace/${a.name}`,
          empty: 'No agent namespaces (paddock cluster agent create NAME adds one).\n',
          columns: [
            { header: 'NAME', value: (a) => a.name },
            { header: 'CPU', value: (a) => a.cpu },
            { header: 'MEMORY', value: (a) => a.memory },
            { header: 'PODS', value: (a) => String(a.pods) },
            {
              header: 'EGRESS',
              value: (a) =>
                [
                  a.egress.dns ? 'dns' : '',
                  ...a.egress.namespaces,
                  ...a.egress.cidrs,
                  a.egress.internet ? 'internet' : '',
                ]
                  .filter(Boolean)
                  .join(','),
            },
          ],
        },
      ),
    );
    return 0;
  },
};

const agentDelete: Command = {
  path: ['cluster', 'agent', 'delete'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster agent delete NAME [--cluster-name CLUSTER]

Removes an agent namespace from the repository in one commit; Argo CD prunes it from the cluster.

Example:
  paddock cluster agent delete team-a
`,
  async run(context) {
    const result = await repoOf(context).removeAgent(
      oneName(context, 'paddock cluster agent delete'),
    );
    context.io.stdout(`${result.message} (commit ${result.sha.slice(0, 12)})\n`);
    return 0;
  },
};

const snapshotCapture: Command = {
  path: ['cluster', 'snapshot', 'capture'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster snapshot capture NAME [--cluster-name CLUSTER]

Captures the cluster's session.yaml and its GitOps repository (every commit) as snapshot NAME,
under $PADDOCK_HOME/clusters/CLUSTER/snapshots/. The cluster's workloads and volumes are not in it.

Example:
  paddock cluster snapshot capture before-upgrade
`,
  async run(context) {
    const session = targetCluster(context);
    const info = await snapshotsOf(context, session).capture(
      oneName(context, 'paddock cluster snapshot capture'),
    );
    context.io.stdout(`snapshot ${info.name} captured\n`);
    return 0;
  },
};

const snapshotList: Command = {
  path: ['cluster', 'snapshot', 'list'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster snapshot list [--cluster-name CLUSTER] [-o table|json|yaml|name]

The cluster's snapshots, oldest first.

Example:
  paddock cluster snapshot list
`,
  async run(context) {
    noArgs(context);
    const items = await snapshotsOf(context, targetCluster(context)).list();
    context.io.stdout(
      formatList(
        { items },
        {
          format: context.settings.output,
          nameOf: (s) => `snapshot/${s.name}`,
          empty: 'No snapshots (paddock cluster snapshot capture NAME takes one).\n',
          columns: [
            { header: 'NAME', value: (s) => s.name },
            { header: 'CREATED', value: (s) => s.createdAt },
            { header: 'HEAD', value: (s) => s.head.slice(0, 12) },
          ],
        },
      ),
    );
    return 0;
  },
};

const snapshotRestore: Command = {
  path: ['cluster', 'snapshot', 'restore'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster snapshot restore NAME [--cluster-name CLUSTER]

Puts session.yaml and the GitOps repository back exactly as captured, byte for byte; Argo CD then
syncs the cluster to the restored repository (paddock cluster sync does it at once).

Example:
  paddock cluster snapshot restore before-upgrade
`,
  async run(context) {
    const info = await snapshotsOf(context, targetCluster(context)).restore(
      oneName(context, 'paddock cluster snapshot restore'),
    );
    context.io.stdout(`snapshot ${info.name} restored\n`);
    return 0;
  },
};

const snapshotDelete: Command = {
  path: ['cluster', 'snapshot', 'delete'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock cluster snapshot delete NAME [--cluster-name CLUSTER]

Deletes a snapshot.

Example:
  paddock cluster snapshot delete before-upgrade
`,
  async run(context) {
    const name = oneName(context, 'paddock cluster snapshot delete');
    await snapshotsOf(context, targetCluster(context)).delete(name);
    context.io.stdout(`snapshot ${name} deleted\n`);
    return 0;
  },
};

export const clusterRepoCommands: readonly Command[] = [
  agentCreate,
  agentUpdate,
  agentList,
  agentDelete,
  snapshotCapture,
  snapshotList,
  snapshotRestore,
  snapshotDelete,
];
