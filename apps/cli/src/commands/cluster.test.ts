// paddock cluster … and paddock app … through the real CLI: lists and info from session.yaml in
// table, json and yaml; create where no container engine runs fails at once with doctor's
// explanation; doctor skips the cluster checks without a cluster (app diff|logs|rollback: app.test.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  GitopsRepo,
  processRunner,
  repositoryDir,
  type Session,
  startArgoCdStandIn,
  writeSession,
} from '@paddock/gitops';
import { installCrds, KubeClient } from '@paddock/kube';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { runCli } from '../test-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const home = mkdtempSync(join(tmpdir(), 'cli-cluster-'));
const env = { ...process.env, NO_COLOR: '1', PADDOCK_HOME: home };
const session: Session = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'ClusterSession',
  name: 'dev',
  mode: 'k3d',
  state: 'stopped',
  createdAt: '2026-12-06T10:00:00.000Z',
  updatedAt: '2026-12-06T10:05:00.000Z',
  nodeCount: 1,
  kubeconfig: join(home, 'clusters', 'dev', 'kubeconfig'),
  ports: { api: 6551, http: 8080, https: 8443 },
  urls: { api: 'https://127.0.0.1:6551', argocd: 'http://argocd.localhost:8080' },
  credentials: { argocdAdminPassword: 'pw' },
  bootstrap: { version: '0.1.0', cilium: '1.19.5', argocd: '9.5.4', paddock: '0.1.0' },
};

describe('paddock cluster', () => {
  after(() => rmSync(home, { recursive: true, force: true }));

  it('list says there is none, then lists sessions as a table, json and yaml', async () => {
    const empty = await runCli(['cluster', 'list'], { env });
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'No clusters (paddock cluster create makes one).\n');
    writeSession(home, session);
    const table = await runCli(['cluster', 'list'], { env });
    assert.match(
      table.stdout,
      /^NAME +STATE +MODE +NODES +API +ARGO CD +CREATED\ndev +stopped +k3d +1 +https:\/\/127\.0\.0\.1:6551 /,
    );
    const json = JSON.parse((await runCli(['cluster', 'list', '-o', 'json'], { env })).stdout);
    assert.deepEqual(json, { items: [session] });
    assert.deepEqual(parse((await runCli(['cluster', 'list', '-o', 'yaml'], { env })).stdout), {
      items: [session],
    });
  });

  it('info prints the session; -o yaml the whole of it', async () => {
    const info = await runCli(['cluster', 'info', 'dev'], { env });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^state: +stopped$/m);
    assert.match(info.stdout, /^ports: +api 6551, http 8080, https 8443$/m);
    assert.doesNotMatch(info.stdout, /pw/);
    assert.deepEqual(
      parse((await runCli(['cluster', 'info', 'dev', '-o', 'yaml'], { env })).stdout),
      session,
    );
    const missing = await runCli(['cluster', 'info', 'nope'], { env });
    assert.equal(missing.code === 0, false);
    assert.match(missing.stderr, /no cluster named "nope"/);
  });

  it('create fails at once with doctor’s explanation where no container engine runs', async (t) => {
    const probe = await processRunner()
      .tryRun({ tool: 'docker', args: ['info'], timeoutMs: 15_000 })
      .catch(() => ({ exitCode: 127 }));
    if (probe.exitCode === 0) {
      t.skip('a container engine runs here');
      return;
    }
    const result = await runCli(['cluster', 'create', 'fresh'], { env });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot create a k3d cluster on this machine:/);
    assert.match(
      result.stderr,
      /FAIL container engine +(docker is not installed|no container engine answers)/,
    );
    assert.match(result.stderr, /fix: .*--existing/);
    assert.match(result.stderr, /hint: paddock cluster doctor runs every check/);
  });

  it('doctor reports the machine and skips the cluster checks, saying why', async () => {
    const result = await runCli(['cluster', 'doctor', 'ghost'], { env });
    assert.match(result.stdout, /^(ok {2}|FAIL) tool k3d /m);
    assert.match(
      result.stdout,
      /^skip nodes Ready +skipped: no cluster named ghost \(paddock cluster create ghost\)$/m,
    );
    assert.match(result.stdout, /^skip agent namespaces +skipped: no cluster named ghost/m);
    const stopped = await runCli(['cluster', 'doctor', 'dev'], { env });
    assert.match(
      stopped.stdout,
      /skip cilium +skipped: cluster dev is stopped \(paddock cluster start dev\)/,
    );
  });

  it('refuses flags of --existing without it, and unknown upgrade targets', async () => {
    const create = await runCli(
      ['cluster', 'create', 'x', '--repo-url', 'https://example.com/r.git'],
      { env },
    );
    assert.match(create.stderr, /--repo-url: only with --existing/);
    const upgrade = await runCli(['cluster', 'upgrade', 'dev', 'traefik'], { env });
    assert.match(upgrade.stderr, /traefik: not one of cilium, argocd, paddock/);
  });

  it('host ports on the command line: each checked, naming its flag; a taken one is refused, not moved', async () => {
    const bad = await runCli(
      ['cluster', 'create', 'x', '--http-port', '0', '--https-port', '65536', '--api-port', 'x1'],
      { env },
    );
    assert.notEqual(bad.code, 0);
    for (const flag of ['--api-port', '--http-port', '--https-port']) {
      assert.match(bad.stderr, new RegExp(`${flag}: must be a port number from 1 to 65535`));
    }
    const existing = await runCli(['cluster', 'create', 'x', '--existing', '--api-port', '7443'], {
      env,
    });
    assert.match(existing.stderr, /--api-port: not with --existing/);
    // A port a listener holds, and one the stopped cluster dev recorded (8443).
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = held.address() as AddressInfo;
      const taken = await runCli(
        ['cluster', 'create', 'x', '--http-port', String(port), '--https-port', '8443'],
        { env },
      );
      assert.notEqual(taken.code, 0);
      assert.match(
        taken.stderr,
        new RegExp(
          `--http-port: port ${port} is taken: something listens on 127\\.0\\.0\\.1:${port}; --https-port: port 8443 is taken: cluster dev recorded it`,
        ),
      );
      assert.doesNotMatch(
        taken.stderr,
        /container engine/,
        'refused before the machine is checked',
      );
      assert.equal(existsSync(join(home, 'clusters', 'x')), false);
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });

  it('agent namespaces, the catalog and snapshots go through the repository, one commit each', async () => {
    writeSession(home, session);
    const repo = new GitopsRepo({
      dir: repositoryDir(home, 'dev'),
      runner: processRunner(),
      settings: { repoURL: 'git://example/gitops' },
    });
    await repo.init();
    const cli = async (...args: string[]) => {
      const result = await runCli([...args, '--cluster-name', 'dev'], { env });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    assert.match(
      await cli(
        'cluster',
        'agent',
        'create',
        'team-a',
        '--set',
        'cpu=2',
        '--set',
        'egress.namespaces=[litellm]',
      ),
      /^agents: add team-a \(cpu 2, memory 8Gi, pods 20\) \(commit [0-9a-f]{12}\)$/m,
    );
    assert.deepEqual(
      JSON.parse(await cli('cluster', 'agent', 'list', '-o', 'json')).items.map(
        (a: { name: string }) => a.name,
      ),
      ['team-a'],
    );
    assert.match(
      await cli('app', 'enable', '--profile', 'agent-minimal'),
      /^catalog: enable profile agent-minimal/m,
    );
    const apps = JSON.parse(await cli('app', 'list', '-o', 'json')).items as Array<{
      name: string;
      enabled: boolean;
    }>;
    assert.ok(
      apps.some((a) => a.name === 'litellm' && a.enabled),
      JSON.stringify(apps),
    );
    assert.ok(
      apps.some((a) => !a.enabled),
      'the rest of the catalog stays disabled',
    );
    assert.match(await cli('cluster', 'snapshot', 'capture', 'before'), /snapshot before captured/);
    await cli('cluster', 'agent', 'delete', 'team-a');
    assert.match(await cli('cluster', 'snapshot', 'list'), /^before /m);
    await cli('cluster', 'snapshot', 'restore', 'before');
    assert.deepEqual(
      JSON.parse(await cli('cluster', 'agent', 'list', '-o', 'json')).items.map(
        (a: { name: string }) => a.name,
      ),
      ['team-a'],
    );
    const subjects = (await repo.log()).map((c) => c.subject);
    assert.equal(subjects[0]?.startsWith('catalog: enable'), true, subjects.join('\n'));
  });

  it('help: the group lists each verb once; each command has an example', async () => {
    const group = await runCli(['cluster', '--help'], { env });
    assert.match(
      group.stdout,
      /^Usage: paddock cluster create\|delete\|start\|stop\|list\|info\|doctor\|upgrade\|sync\|agent\|snapshot …/,
    );
    const help = await runCli(['cluster', 'create', '--help'], { env });
    assert.match(
      help.stdout,
      /flannel, kube-proxy, the network policy controller, traefik and servicelb/,
    );
    assert.match(help.stdout, /Example:\n {2}paddock cluster create\n/);
  });
});

describe('paddock cluster create --existing', { skip: kubeSkipReason ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'cli-cluster-existing-'));
  let server: KubeTestServer;
  after(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('bootstraps the API server step by step, each with its duration, and records the session', async (t) => {
    const crds = join(
      process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube'),
      'crds',
      'argo-cd',
    );
    if (!existsSync(crds)) {
      t.skip(`no Argo CD CRDs at ${crds}`);
      return;
    }
    server = await startKubeTestServer();
    const client = await KubeClient.fromKubeconfig(server.kubeconfig);
    try {
      await installCrds(
        client,
        readdirSync(crds).map((f) => parse(readFileSync(join(crds, f), 'utf8'))),
      );
    } finally {
      client.close();
    }
    const env = { ...process.env, NO_COLOR: '1', PADDOCK_HOME: home };
    // Argo CD deploys Paddock from the repository: a stand-in for its controllers does it here.
    const argoClient = await KubeClient.fromKubeconfig(server.kubeconfig);
    const argocd = startArgoCdStandIn(argoClient, join(home, 'clusters', 'edge', 'gitops'));
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      result = await runCli(
        [
          'cluster',
          'create',
          'edge',
          '--existing',
          '--kubeconfig',
          server.kubeconfig,
          '--repo-url',
          'https://git.example.com/g.git',
        ],
        { env },
      );
    } finally {
      await argocd.stop();
      argoClient.close();
    }
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^✓ check tools \(\d+(\.\d)? m?s\)$/m);
    assert.match(
      result.stdout,
      /^- install argo cd: skipped \(the cluster already serves Argo CD’s kinds\)$/m,
    );
    assert.match(
      result.stdout,
      /^✓ apply the repository’s appprojects and applicationsets \([\d.]+ m?s\): 4 applied$/m,
    );
    assert.match(
      result.stdout,
      /^ {2}… wait for argo cd to deploy paddock \(application catalog-paddock\): Synced\/Healthy$/m,
    );
    assert.match(
      result.stdout,
      /^✓ wait for argo cd to deploy paddock \(application catalog-paddock\) \([\d.]+ m?s\)$/m,
    );
    assert.doesNotMatch(result.stdout, /install paddock/);
    assert.match(result.stdout, /^cluster edge ready in [\d.]+ s$/m);
    assert.match(result.stdout, /^mode: +existing$/m);
    const listed = JSON.parse((await runCli(['cluster', 'list', '-o', 'json'], { env })).stdout);
    assert.deepEqual(
      listed.items.map((s: Session) => [s.name, s.state, s.mode]),
      [['edge', 'running', 'existing']],
    );
  });
});
