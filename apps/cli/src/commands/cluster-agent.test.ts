// paddock cluster agent create and update through the real CLI over a real GitOps repository:
// a cluster paddock created runs Cilium, so its agent namespaces get a CiliumNetworkPolicy;
// update changes quota and grants in one commit; bad keys and unknown namespaces are refused.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GitopsRepo,
  processRunner,
  repositoryDir,
  type Session,
  writeSession,
} from '@paddock/gitops';
import { parse } from 'yaml';
import { runCli } from '../test-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'cli-cluster-agent-'));
const env = { ...process.env, NO_COLOR: '1', PADDOCK_HOME: home };
const session: Session = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'ClusterSession',
  name: 'dev',
  mode: 'k3d',
  state: 'running',
  createdAt: '2026-12-06T10:00:00.000Z',
  updatedAt: '2026-12-06T10:05:00.000Z',
  nodeCount: 1,
  kubeconfig: join(home, 'clusters', 'dev', 'kubeconfig'),
  ports: { api: 6551, http: 8080, https: 8443 },
  urls: { api: 'https://127.0.0.1:6551' },
  credentials: {},
  bootstrap: { version: '0.1.0' },
};

describe('paddock cluster agent create and update', () => {
  let repo: GitopsRepo;
  const agentDir = () => join(repositoryDir(home, 'dev'), 'agents', 'team-a');
  const cli = (...args: string[]) => runCli([...args, '--cluster-name', 'dev'], { env });

  before(async () => {
    writeSession(home, session);
    repo = new GitopsRepo({
      dir: repositoryDir(home, 'dev'),
      runner: processRunner(),
      settings: { repoURL: 'git://example/gitops' },
    });
    await repo.init();
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('create on a cluster paddock made writes a LimitRange and a CiliumNetworkPolicy', async () => {
    const result = await cli('cluster', 'agent', 'create', 'team-a', '--set', 'cpu=2');
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(agentDir(), 'limitrange.yaml')));
    assert.ok(existsSync(join(agentDir(), 'ciliumnetworkpolicy.yaml')));
  });

  it('update changes quota and grants in one commit', async () => {
    const before = (await repo.log()).length;
    const result = await cli(
      'cluster',
      'agent',
      'update',
      'team-a',
      '--set',
      'cpu=8',
      '--set',
      'egress.fqdns=[api.openai.com, "*.anthropic.com"]',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^agents: update team-a \(cpu 8, egress\.fqdns \[api\.openai\.com, \*\.anthropic\.com\]\) \(commit [0-9a-f]{12}\)$/m,
    );
    assert.equal((await repo.log()).length, before + 1);
    const policy = parse(readFileSync(join(agentDir(), 'ciliumnetworkpolicy.yaml'), 'utf8'));
    assert.deepEqual(policy.spec.egress[1].toFQDNs, [
      { matchName: 'api.openai.com' },
      { matchPattern: '*.anthropic.com' },
    ]);
    const same = await cli('cluster', 'agent', 'update', 'team-a', '--set', 'cpu=8');
    assert.equal(same.stdout, 'agent namespace team-a unchanged\n');
    assert.equal((await repo.log()).length, before + 1);
  });

  it('refuses bad keys, no keys and an unknown namespace, committing nothing', async () => {
    const before = (await repo.log()).length;
    const bad = await cli(
      'cluster',
      'agent',
      'update',
      'team-a',
      '--set',
      'egress.fqdns=[https://x]',
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--set egress\.fqdns\.0: must be a lowercase domain name/);
    const closed = await cli('cluster', 'agent', 'update', 'team-a', '--set', 'cilium=false');
    assert.notEqual(closed.code, 0);
    assert.match(closed.stderr, /domain grants need Cilium/);
    const none = await cli('cluster', 'agent', 'update', 'team-a');
    assert.match(none.stderr, /give at least one KEY=VALUE/);
    const ghost = await cli('cluster', 'agent', 'update', 'ghost', '--set', 'cpu=1');
    assert.notEqual(ghost.code, 0);
    assert.match(ghost.stderr, /no agent namespace ghost/);
    assert.equal((await repo.log()).length, before);
  });
});
