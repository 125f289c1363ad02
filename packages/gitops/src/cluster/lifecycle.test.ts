// The lifecycle with a recording runner (no k3d, helm or container engine here): the exact k3d,
// docker, helm and git invocations of create, start, stop, upgrade and delete; the in-cluster half
// against the real test API server with the upstream CRDs installed, and a stand-in for Argo CD's
// controllers deploying Paddock from the repository (its one owner).
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';
import type { KubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { GitopsRepo, runGit, type YamlMap } from '../repo/index.ts';
import { startArgoCdStandIn } from './argocd-stand-in.ts';
import { chooseHostPorts } from './host-ports.ts';
import {
  type ClusterEnv,
  createCluster,
  deleteCluster,
  startCluster,
  stopCluster,
  upgradeCluster,
} from './lifecycle.ts';
import { readSession, type Session } from './session.ts';
import type { StepEvent } from './steps.ts';
import { startUpstreamKube, upstreamSkipReason } from './test-kube.ts';
import { processRunner, RecordingRunner, type ScriptRule } from './tool-runner.ts';

// git as the repository runs it: independent of the user's configuration.
const GIT = [
  'git -c user.name=paddock -c user.email=paddock@localhost -c commit.gpgsign=false -c tag.gpgsign=false',
  '-c core.hooksPath=/dev/null -c core.autocrlf=false -c init.defaultBranch=main',
].join(' ');

const HEALTHY_MACHINE: ScriptRule[] = [
  { tool: 'docker', prefix: ['info'], answer: { stdout: '28.1.1\n' } },
  { tool: 'k3d', prefix: ['version'], answer: { stdout: 'k3d version v5.8.3\n' } },
];

describe('create without a container engine', () => {
  const home = mkdtempSync(join(tmpdir(), 'cluster-noengine-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const env = (runner: ClusterEnv['runner']): ClusterEnv => ({
    home,
    runner,
    progress: () => {},
    version: '0.1.0',
  });

  it('fails fast with doctor’s explanation when docker does not answer, before running k3d', async () => {
    const runner = new RecordingRunner([
      {
        tool: 'docker',
        prefix: ['info'],
        answer: {
          exitCode: 1,
          stderr:
            'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
        },
      },
    ]);
    await assert.rejects(
      createCluster(env(runner), { name: 'dev' }),
      (e) =>
        isPaddockError(e, ErrorCode.RuntimeUnavailable) &&
        /container engine +no container engine answers: Cannot connect to the Docker daemon/.test(
          e.message,
        ) &&
        /fix: start Docker/.test(e.message),
    );
    assert.deepEqual(runner.lines, [
      'k3d version',
      'docker --version',
      'helm version --short',
      'git --version',
      'docker info --format {{.ServerVersion}}',
    ]);
    assert.equal(
      existsSync(join(home, 'clusters', 'dev')),
      false,
      'no session for a cluster never started',
    );
  });

  it('names each missing tool with its install hint', async () => {
    const runner = new RecordingRunner([], { missing: ['k3d', 'docker'] });
    await assert.rejects(createCluster(env(runner), { name: 'dev' }), (e) => {
      assert.ok(isPaddockError(e, ErrorCode.RuntimeUnavailable));
      assert.match(e.message, /tool k3d +not found on PATH\n +fix: install k3d \(https:\/\/k3d.io/);
      assert.match(e.message, /tool docker +not found on PATH\n +fix: install Docker Engine/);
      assert.match(e.message, /docker is not installed/);
      assert.doesNotMatch(e.message, /tool helm/);
      return true;
    });
  });

  it('with the real runner on a machine without a container engine: fails within seconds', async (t) => {
    const probe = await processRunner()
      .tryRun({ tool: 'docker', args: ['info'], timeoutMs: 15_000 })
      .catch(() => ({ exitCode: 127 }));
    if (probe.exitCode === 0) {
      t.skip('a container engine runs here');
      return;
    }
    const started = performance.now();
    await assert.rejects(createCluster(env(processRunner()), { name: 'dev' }), /container engine/);
    assert.ok(performance.now() - started < 30_000);
  });
});

describe('create, start, stop, upgrade and delete', { skip: upstreamSkipReason ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'cluster-life-'));
  let server: KubeTestServer;
  let client: KubeClient;
  const events: StepEvent[] = [];
  let runner: RecordingRunner;
  let env: ClusterEnv;
  // The values file each helm release was given, read when helm ran (a later run rewrites it).
  const helmValues: Array<{ release: string; file: string; values: YamlMap }> = [];

  before(async () => {
    ({ server, client } = await startUpstreamKube());
    runner = new RecordingRunner(
      [
        ...HEALTHY_MACHINE,
        // k3d writes the cluster's kubeconfig: here, the test API server's.
        {
          tool: 'k3d',
          prefix: ['kubeconfig', 'write'],
          answer: (i) => {
            copyFileSync(server.kubeconfig, i.args[4] ?? '');
            return {};
          },
        },
        {
          tool: 'helm',
          prefix: ['upgrade', '--install'],
          answer: (i) => {
            const file = i.args[i.args.indexOf('--values') + 1] ?? '';
            const values = parse(readFileSync(file, 'utf8')) as YamlMap;
            helmValues.push({ release: i.args[2] ?? '', file, values });
            return {};
          },
        },
      ],
      { passThrough: ['git'] },
    );
    env = { home, runner, progress: (e) => events.push(e), version: '0.1.0' };
  });
  after(async () => {
    client?.close();
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('creates: the exact k3d, docker, helm and git invocations, then the in-cluster objects', async () => {
    const ports = await chooseHostPorts({ wanted: { api: 26550, http: 28080, https: 28443 } });
    const dir = join(home, 'clusters', 'dev');
    const argocd = startArgoCdStandIn(client, join(dir, 'gitops'));
    let session: Session;
    try {
      session = await createCluster(env, { name: 'dev', ports, timeoutMs: 30_000 });
    } finally {
      await argocd.stop();
    }
    const kubeconfig = join(dir, 'kubeconfig');
    const k3s = (flag: string) => `--k3s-arg ${flag}@server:*`;
    assert.deepEqual(runner.lines, [
      'k3d version',
      'docker --version',
      'helm version --short',
      'git --version',
      'docker info --format {{.ServerVersion}}',
      ...[
        'init --quiet --initial-branch=main',
        'add --all',
        'diff --cached --quiet',
        'commit --quiet --no-verify -m init: gitops repository',
        'rev-parse HEAD',
        'status --porcelain --untracked-files=all',
        'add --all',
        'diff --cached --quiet',
        'commit --quiet --no-verify -m catalog: the compiled-in catalog (paddock enabled: argo cd deploys it from this repository)',
        'rev-parse HEAD',
      ].map((args) => `${GIT} ${args}`),
      [
        'k3d cluster create dev --servers 1 --agents 0 --image rancher/k3s:v1.34.2-k3s1',
        `--api-port 127.0.0.1:${ports.api}`,
        `--port 127.0.0.1:${ports.http}:80@loadbalancer --port 127.0.0.1:${ports.https}:443@loadbalancer`,
        k3s('--flannel-backend=none'),
        k3s('--disable-kube-proxy'),
        k3s('--disable-network-policy'),
        k3s('--disable=traefik'),
        k3s('--disable=servicelb'),
        `--volume ${dir}/gitops:/var/lib/paddock/gitops@server:0`,
        '--kubeconfig-update-default=false --kubeconfig-switch-context=false --wait --timeout 300s',
      ].join(' '),
      `k3d kubeconfig write dev --output ${kubeconfig} --overwrite`,
      'docker exec k3d-dev-server-0 sh -c mount bpffs /sys/fs/bpf -t bpf && mount --make-shared /sys/fs/bpf',
      'docker exec k3d-dev-server-0 sh -c mkdir -p /run/cilium/cgroupv2 && mount -t cgroup2 none /run/cilium/cgroupv2 && mount --make-shared /run/cilium/cgroupv2/',
      [
        'helm upgrade --install cilium cilium --repo https://helm.cilium.io/ --version 1.19.5',
        `--namespace kube-system --create-namespace --kubeconfig ${kubeconfig}`,
        `--values ${dir}/cilium-values.yaml --wait --timeout 10m`,
      ].join(' '),
      [
        'helm upgrade --install argocd argo-cd --repo https://argoproj.github.io/argo-helm --version 9.5.4',
        `--namespace argocd --create-namespace --kubeconfig ${kubeconfig}`,
        `--values ${dir}/argocd-values.yaml --wait --timeout 10m`,
      ].join(' '),
    ]);
    // The values helm was given: the compiled-in ones (no infra/ overrides yet), in files only
    // their owner reads.
    assert.deepEqual(helmValues, [
      {
        release: 'cilium',
        file: join(dir, 'cilium-values.yaml'),
        values: {
          kubeProxyReplacement: true,
          ipam: { mode: 'kubernetes' },
          operator: { replicas: 1 },
          hubble: {
            enabled: true,
            relay: { enabled: true },
            ui: {
              enabled: true,
              ingress: { enabled: true, className: 'cilium', hosts: ['hubble.localhost'] },
            },
          },
          k8sServiceHost: 'k3d-dev-server-0',
          k8sServicePort: 6443,
          ingressController: {
            enabled: true,
            default: true,
            loadbalancerMode: 'shared',
            hostNetwork: { enabled: true, sharedListenerPort: 80 },
          },
        },
      },
      {
        release: 'argocd',
        file: join(dir, 'argocd-values.yaml'),
        values: {
          dex: { enabled: false },
          configs: {
            params: {
              'server.insecure': true,
              // The catalog's RollingSync (tier by tier) needs Argo CD's progressive syncs on.
              'applicationsetcontroller.enable.progressive.syncs': true,
              'applicationsetcontroller.enable.new.git.file.globbing': true,
            },
            cm: {
              'timeout.reconciliation': '60s',
              'application.resourceTrackingMethod': 'annotation',
            },
          },
          applicationSet: { replicas: 1 },
          server: {
            ingress: { enabled: true, ingressClassName: 'cilium', hostname: 'argocd.localhost' },
          },
        },
      },
    ]);
    for (const { file } of helmValues) assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(session.state, 'running');
    assert.deepEqual(session.ports, ports);
    assert.deepEqual(readSession(home, 'dev'), session);
    assert.deepEqual(session.bootstrap, {
      version: '0.1.0',
      cilium: '1.19.5',
      argocd: '9.5.4',
      paddock: '0.1.0',
    });
    assert.equal(session.urls.api, `https://127.0.0.1:${ports.api}`);

    // The repository's Argo CD objects reached the API server; core/v1 and apps/v1 were skipped.
    const sets = await client.request<{ items: Array<{ metadata: { name: string } }> }>(
      'GET',
      '/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets',
    );
    assert.deepEqual(sets.items.map((s) => s.metadata.name).sort(), [
      'paddock-agents',
      'paddock-apps',
      'paddock-catalog',
    ]);
    await client.request('GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/paddock');
    const skipped = events
      .filter((e) => e.type === 'skipped')
      .map((e) => (e.type === 'skipped' ? `${e.step}: ${e.reason}` : ''));
    assert.ok(
      skipped.includes(
        'apply Deployment paddock-gitops in argocd: the API server does not serve Deployment (apps/v1)',
      ),
      skipped.join('\n'),
    );
    assert.ok(
      skipped.includes(
        'apply Secret paddock-gitops-repository in argocd: the API server does not serve Secret (v1)',
      ),
    );
    // Every step reported with its duration.
    const done = events.filter((e) => e.type === 'done').map((e) => e.step);
    const wait = 'wait for argo cd to deploy paddock (application catalog-paddock)';
    for (const name of [
      'check tools and container engine',
      'choose host ports',
      'create the k3d cluster',
      'install cilium 1.19.5 with hubble',
      'install argo cd (chart 9.5.4)',
      wait,
    ]) {
      assert.ok(done.includes(name), `${name} in ${done.join(', ')}`);
    }
    // One owner: Argo CD deployed Paddock from the repository (waited on, each state shown);
    // paddock install applied nothing (its CRDs would be on the server).
    assert.ok(argocd.generated.includes('catalog-paddock'), argocd.generated.join(', '));
    assert.ok(!done.includes('install paddock'));
    const states = events.flatMap((e) =>
      e.type === 'progress' && e.step === wait ? [e.detail] : [],
    );
    assert.equal(states.at(-1), 'Synced/Healthy');
    await assert.rejects(
      client.request(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
      ),
      (e) => isPaddockError(e, ErrorCode.NotFound),
    );
    // The catalog Argo CD reads: paddock enabled, its ingress on Cilium's class.
    assert.match(
      readFileSync(join(dir, 'gitops', 'catalog', 'paddock.yaml'), 'utf8'),
      /^enabled: true$/m,
    );
    assert.deepEqual(
      parse(readFileSync(join(dir, 'gitops', 'catalog', 'values', 'paddock.yaml'), 'utf8')),
      {
        ingress: { enabled: true, className: 'cilium', host: 'paddock.localhost' },
      },
    );
    assert.match(
      readFileSync(join(dir, 'gitops', 'catalog', 'litellm.yaml'), 'utf8'),
      /^enabled: false$/m,
    );
  });

  it('refuses to create a cluster that exists', async () => {
    await assert.rejects(createCluster(env, { name: 'dev' }), (e) =>
      isPaddockError(e, ErrorCode.AlreadyExists),
    );
  });

  it('stops and starts through k3d, recording the state', async () => {
    runner.invocations.length = 0;
    assert.equal((await stopCluster(env, 'dev')).state, 'stopped');
    assert.equal(readSession(home, 'dev').state, 'stopped');
    assert.equal((await startCluster(env, 'dev')).state, 'running');
    assert.deepEqual(runner.lines, [
      'k3d cluster stop dev',
      'k3d cluster start dev --wait --timeout 300s',
    ]);
  });

  it('upgrades cilium and argocd with helm at the pinned versions, paddock by a commit argo cd deploys', async () => {
    // An older Paddock chart in the repository (create wrote this CLI's): upgrade replaces it.
    const repoDir = join(home, 'clusters', 'dev', 'gitops');
    const chartYaml = join(repoDir, 'charts', 'paddock', 'Chart.yaml');
    writeFileSync(
      chartYaml,
      readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 0.0.1'),
    );
    await runGit(processRunner(), repoDir, ['commit', '--quiet', '-am', 'older chart']);
    runner.invocations.length = 0;
    const kubeconfig = join(home, 'clusters', 'dev', 'kubeconfig');
    const session = await upgradeCluster(env, 'dev', ['cilium', 'argocd', 'paddock']);
    const commits = runner.lines.filter((l) => l.startsWith(`${GIT} commit `));
    assert.deepEqual(commits, [
      `${GIT} commit --quiet --no-verify -m paddock: chart 0.1.0 (paddock 0.1.0) at charts/paddock`,
    ]);
    assert.match(readFileSync(chartYaml, 'utf8'), /^version: 0\.1\.0$/m);
    assert.ok(
      events.some(
        (e) => e.type === 'done' && e.step === 'update the paddock chart in the gitops repository',
      ),
    );
    const dir = join(home, 'clusters', 'dev');
    assert.deepEqual(
      runner.lines.filter((l) => !l.startsWith(GIT)),
      [
        `helm upgrade --install cilium cilium --repo https://helm.cilium.io/ --version 1.19.5 --namespace kube-system --create-namespace --kubeconfig ${kubeconfig} --values ${dir}/cilium-values.yaml --wait --timeout 10m`,
        `helm upgrade --install argocd argo-cd --repo https://argoproj.github.io/argo-helm --version 9.5.4 --namespace argocd --create-namespace --kubeconfig ${kubeconfig} --values ${dir}/argocd-values.yaml --wait --timeout 10m`,
      ],
    );
    assert.equal(session.bootstrap.paddock, '0.1.0');
    assert.ok(
      events.some(
        (e) =>
          e.type === 'skipped' &&
          e.step === 'upgrade paddock' &&
          e.reason.startsWith(
            'Argo CD deploys it from the repository (application catalog-paddock)',
          ),
      ),
    );
    await assert.rejects(
      client.request(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
      ),
      (e) => isPaddockError(e, ErrorCode.NotFound),
      'paddock install stays out while Argo CD owns paddock',
    );
    runner.invocations.length = 0;
    await upgradeCluster(env, 'dev', ['argocd']);
    assert.equal(runner.lines.length, 1);
    assert.match(runner.lines[0] ?? '', /^helm upgrade --install argocd argo-cd /);
  });

  it('upgrades cilium and argocd with the infra/ overrides merged over the compiled-in values', async () => {
    const repo = new GitopsRepo({
      dir: join(home, 'clusters', 'dev', 'gitops'),
      runner: processRunner(),
      settings: { repoURL: 'git://example.invalid/gitops' },
    });
    const valuesOf = async (target: 'cilium' | 'argocd') => {
      helmValues.length = 0;
      await upgradeCluster(env, 'dev', [target]);
      assert.deepEqual(
        helmValues.map((v) => v.release),
        [target],
      );
      return helmValues[0]?.values ?? {};
    };
    type Hubble = { enabled: boolean; relay: { enabled: boolean }; ui: { enabled: boolean } };
    await repo.setInfra('cilium', { hubble: { relay: { enabled: false } } });
    const cilium = await valuesOf('cilium');
    assert.equal((cilium.hubble as Hubble).relay.enabled, false);
    // Everything else stays as compiled in.
    assert.equal((cilium.hubble as Hubble).ui.enabled, true);
    assert.equal(cilium.k8sServiceHost, 'k3d-dev-server-0');
    assert.equal(cilium.kubeProxyReplacement, true);

    // Edited and committed again: the next upgrade passes the new value.
    await repo.setInfra('cilium', { hubble: { relay: { enabled: true }, ui: { enabled: false } } });
    const edited = await valuesOf('cilium');
    assert.equal((edited.hubble as Hubble).relay.enabled, true);
    assert.equal((edited.hubble as Hubble).ui.enabled, false);

    // Argo CD: a parameter added, a list replaced; progressive syncs stay on.
    await repo.setInfra('argocd', {
      configs: { params: { 'server.log.level': 'debug' } },
      global: { tolerations: [{ operator: 'Exists' }] },
    });
    const argocd = await valuesOf('argocd');
    assert.deepEqual((argocd.configs as YamlMap).params, {
      'server.insecure': true,
      'applicationsetcontroller.enable.progressive.syncs': true,
      'applicationsetcontroller.enable.new.git.file.globbing': true,
      'server.log.level': 'debug',
    });
    assert.deepEqual(argocd.global, { tolerations: [{ operator: 'Exists' }] });

    // An override that is not a map: refused naming the file, before helm runs.
    writeFileSync(join(repo.dir, 'infra', 'argocd.yaml'), '- not a map\n');
    helmValues.length = 0;
    await assert.rejects(
      upgradeCluster(env, 'dev', ['argocd']),
      (e) => isPaddockError(e, ErrorCode.ValidationFailed) && /infra\/argocd\.yaml/.test(e.message),
    );
    assert.deepEqual(helmValues, []);
    writeFileSync(join(repo.dir, 'infra', 'argocd.yaml'), 'configs: [unclosed\n');
    await assert.rejects(
      upgradeCluster(env, 'dev', ['argocd']),
      (e) =>
        isPaddockError(e, ErrorCode.ValidationFailed) &&
        /^infra\/argocd\.yaml is not valid YAML/.test(e.message),
    );
    await runGit(processRunner(), repo.dir, ['checkout', '--', 'infra/argocd.yaml']);
  });

  it('deletes the k3d cluster and the cluster’s folder', async () => {
    runner.invocations.length = 0;
    await deleteCluster(env, 'dev');
    assert.deepEqual(runner.lines, ['k3d cluster delete dev']);
    assert.equal(existsSync(join(home, 'clusters', 'dev')), false);
    await assert.rejects(deleteCluster(env, 'dev'), (e) => isPaddockError(e, ErrorCode.NotFound));
  });
});
