/**
 * `paddock cluster doctor`: each check with what it found and, when not ok, the cause and the fix.
 * Machine checks (tools on PATH, a running container engine) always run; cluster checks (nodes,
 * Cilium, Argo CD, the apps, the agent namespaces) need a reachable cluster and report
 * `skipped: <why>` without one, or when the API server does not serve what they read.
 */
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';
import { ARGOCD_NAMESPACE, CILIUM_NAMESPACE } from './bootstrap-plan.ts';
import { INSTALL_HINTS, type Tool, type ToolRunner } from './tool-runner.ts';

export const CheckStatus = { Ok: 'ok', Warn: 'warn', Fail: 'fail', Skipped: 'skipped' } as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

export type ClusterCheck = {
  name: string;
  status: CheckStatus;
  /** What was found; for a skipped check, why it could not run. */
  detail: string;
  /** What to do, when the status is warn or fail. */
  fix?: string;
};

/** Namespaces `paddock cluster agent create` makes carry this label. */
export const AGENT_NAMESPACE_LABEL = 'paddock.dev/agent-namespace';

const ok = (name: string, detail: string): ClusterCheck => ({
  name,
  status: CheckStatus.Ok,
  detail,
});
const fail = (name: string, detail: string, fix: string): ClusterCheck => ({
  name,
  status: CheckStatus.Fail,
  detail,
  fix,
});
const skipped = (name: string, why: string): ClusterCheck => ({
  name,
  status: CheckStatus.Skipped,
  detail: why,
});

const VERSION_ARGS: Record<Tool, string[]> = {
  k3d: ['version'],
  docker: ['--version'],
  git: ['--version'],
  helm: ['version', '--short'],
  kubectl: ['version', '--client'],
};

/** Whether each tool runs at all (`TOOL --version`), with its install hint when it does not. */
export async function checkTools(
  runner: ToolRunner,
  tools: readonly Tool[],
): Promise<ClusterCheck[]> {
  const checks: ClusterCheck[] = [];
  for (const tool of tools) {
    const name = `tool ${tool}`;
    try {
      const result = await runner.tryRun({ tool, args: VERSION_ARGS[tool], timeoutMs: 10_000 });
      checks.push(
        result.exitCode === 0
          ? ok(name, result.stdout.trim().split('\n')[0] ?? 'found')
          : fail(
              name,
              `${tool} ${VERSION_ARGS[tool].join(' ')} exited with ${result.exitCode}`,
              INSTALL_HINTS[tool],
            ),
      );
    } catch (error) {
      checks.push(fail(name, `not found on PATH`, INSTALL_HINTS[tool]));
      if (!isPaddockError(error, ErrorCode.RuntimeUnavailable)) throw error;
    }
  }
  return checks;
}

/** Whether a container engine answers `docker info` (k3d runs its nodes as containers). */
export async function checkContainerEngine(runner: ToolRunner): Promise<ClusterCheck> {
  const name = 'container engine';
  try {
    const result = await runner.tryRun({
      tool: 'docker',
      args: ['info', '--format', '{{.ServerVersion}}'],
      timeoutMs: 15_000,
    });
    if (result.exitCode === 0) return ok(name, `running (server ${result.stdout.trim()})`);
    return fail(
      name,
      `no container engine answers: ${(result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? ''}`,
      'start Docker (systemctl start docker, or open Docker Desktop) and check that `docker info` works for your user; or bootstrap a cluster you already have with paddock cluster create --existing',
    );
  } catch (error) {
    if (!isPaddockError(error)) throw error;
    return fail(
      name,
      error.code === ErrorCode.Timeout
        ? 'docker info did not answer in 15 s'
        : 'docker is not installed, so no container engine can run k3d',
      `${INSTALL_HINTS.docker}; or bootstrap a cluster you already have with paddock cluster create --existing`,
    );
  }
}

type Condition = { type: string; status: string };
type Listed<S> = {
  items?: Array<{
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    status?: S;
  }>;
};

async function get<T>(kube: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await kube.request<T>('GET', path);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
    throw error;
  }
}

async function nodesReady(kube: KubeClient): Promise<ClusterCheck> {
  const name = 'nodes Ready';
  const nodes = await get<Listed<{ conditions?: Condition[] }>>(kube, '/api/v1/nodes');
  if (nodes === undefined) return skipped(name, 'the API server does not serve nodes (core/v1)');
  const items = nodes.items ?? [];
  const notReady = items.filter(
    (n) => !(n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (items.length === 0)
    return fail(name, 'no nodes', 'start the cluster: paddock cluster start NAME');
  if (notReady.length > 0) {
    return fail(
      name,
      `${notReady.length} of ${items.length} not Ready: ${notReady.map((n) => n.metadata.name).join(', ')}`,
      'a node stays NotReady until a CNI runs: check Cilium below (paddock cluster upgrade cilium reinstalls it)',
    );
  }
  return ok(name, `${items.length} Ready`);
}

type WorkloadStatus = {
  desiredNumberScheduled?: number;
  numberReady?: number;
  replicas?: number;
  readyReplicas?: number;
};

async function workload(
  kube: KubeClient,
  name: string,
  path: string,
  fix: string,
): Promise<ClusterCheck> {
  const apps = await get<{ resources?: unknown[] }>(kube, '/apis/apps/v1');
  if (apps === undefined) return skipped(name, 'the API server does not serve apps/v1');
  const found = await get<{ status?: WorkloadStatus }>(kube, path);
  if (found === undefined) return fail(name, 'not installed', fix);
  const s = found.status ?? {};
  const want = s.desiredNumberScheduled ?? s.replicas ?? 0;
  const ready = s.numberReady ?? s.readyReplicas ?? 0;
  return ready >= want && want > 0
    ? ok(name, `${ready}/${want} ready`)
    : fail(name, `${ready}/${want} ready`, fix);
}

type AppStatus = { sync?: { status?: string }; health?: { status?: string; message?: string } };

async function applications(kube: KubeClient): Promise<ClusterCheck[]> {
  const list = await get<Listed<AppStatus>>(
    kube,
    `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications`,
  );
  if (list === undefined)
    return [
      skipped(
        'apps',
        'the API server does not serve Argo CD Applications (Argo CD is not installed)',
      ),
    ];
  const items = list.items ?? [];
  if (items.length === 0)
    return [ok('apps', 'no Applications yet (paddock app enable NAME adds one)')];
  return items.map((app) => {
    const sync = app.status?.sync?.status ?? 'Unknown';
    const health = app.status?.health?.status ?? 'Unknown';
    const name = `app ${app.metadata.name}`;
    if (sync === 'Synced' && health === 'Healthy') return ok(name, 'Synced, Healthy');
    return fail(
      name,
      `${sync}, ${health}${app.status?.health?.message ? `: ${app.status.health.message}` : ''}`,
      sync === 'Unknown' && health === 'Unknown'
        ? 'Argo CD has not reconciled it yet: check the Argo CD components above, then paddock cluster sync'
        : `paddock app status ${app.metadata.name} shows its resources; paddock cluster sync retries it now`,
    );
  });
}

async function agentNamespaces(kube: KubeClient): Promise<ClusterCheck[]> {
  const list = await get<Listed<{ phase?: string }>>(
    kube,
    `/api/v1/namespaces?labelSelector=${encodeURIComponent(AGENT_NAMESPACE_LABEL)}`,
  );
  if (list === undefined)
    return [skipped('agent namespaces', 'the API server does not serve namespaces (core/v1)')];
  const items = list.items ?? [];
  if (items.length === 0)
    return [ok('agent namespaces', 'none (paddock cluster agent create NAME adds one)')];
  return items.map((ns) =>
    ns.status?.phase === 'Active'
      ? ok(`agent namespace ${ns.metadata.name}`, 'Active')
      : fail(
          `agent namespace ${ns.metadata.name}`,
          ns.status?.phase ?? 'no phase',
          `check its Application: paddock app status agent-${ns.metadata.name}`,
        ),
  );
}

/** The checks that read the cluster; every one `skipped` with `why` when there is no cluster. */
export async function checkCluster(
  kube: KubeClient | { skipped: string },
): Promise<ClusterCheck[]> {
  const names = [
    'nodes Ready',
    'cilium',
    'hubble relay',
    'argocd server',
    'argocd repo server',
    'argocd application controller',
    'argocd applicationset controller',
    'apps',
    'agent namespaces',
  ];
  if ('skipped' in kube) return names.map((n) => skipped(n, kube.skipped));
  const argo = (deployment: string) =>
    `/apis/apps/v1/namespaces/${ARGOCD_NAMESPACE}/deployments/${deployment}`;
  const argoFix =
    'paddock cluster upgrade argocd reinstalls Argo CD; kubectl -n argocd get pods shows why a pod does not start';
  return [
    await nodesReady(kube),
    await workload(
      kube,
      'cilium',
      `/apis/apps/v1/namespaces/${CILIUM_NAMESPACE}/daemonsets/cilium`,
      'paddock cluster upgrade cilium reinstalls Cilium; kubectl -n kube-system logs ds/cilium shows why it fails',
    ),
    await workload(
      kube,
      'hubble relay',
      `/apis/apps/v1/namespaces/${CILIUM_NAMESPACE}/deployments/hubble-relay`,
      'paddock cluster upgrade cilium (Hubble comes with it)',
    ),
    await workload(kube, 'argocd server', argo('argocd-server'), argoFix),
    await workload(kube, 'argocd repo server', argo('argocd-repo-server'), argoFix),
    await workload(
      kube,
      'argocd application controller',
      `/apis/apps/v1/namespaces/${ARGOCD_NAMESPACE}/statefulsets/argocd-application-controller`,
      argoFix,
    ),
    await workload(
      kube,
      'argocd applicationset controller',
      argo('argocd-applicationset-controller'),
      argoFix,
    ),
    ...(await applications(kube)),
    ...(await agentNamespaces(kube)),
  ];
}

/** `✓ name  detail` / `✗ name  detail` + `fix:` / `- name  skipped: why`. */
export function formatClusterChecks(checks: readonly ClusterCheck[]): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks
    .map((c) => {
      const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skipped: 'skip' }[c.status];
      const detail = c.status === CheckStatus.Skipped ? `skipped: ${c.detail}` : c.detail;
      const row = `${mark} ${c.name.padEnd(width)}  ${detail}`;
      return c.fix === undefined ? row : `${row}\n${' '.repeat(width + 7)}fix: ${c.fix}`;
    })
    .join('\n')
    .concat('\n');
}
