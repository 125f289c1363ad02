// The GitOps repository over real git in a temporary folder: its layout, one commit per mutation
// (none when nothing changed), custom apps, catalog state, agents and infra overrides.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { parse } from 'yaml';
import type { CatalogEntryInput } from '../catalog/index.ts';
import { runGit } from './command-runner.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { spawnRunner } from './spawn-runner.ts';

const REPO_URL = 'git://gitops.paddock-system.svc/gitops';

function entry(
  name: string,
  enabled: boolean,
  tier = 1,
  dependsOn: string[] = [],
): CatalogEntryInput {
  return {
    name,
    category: 'llm-gateway',
    description: `${name} entry`,
    repoURL: 'https://example.com/charts',
    chart: name,
    targetRevision: '1.0.0',
    namespace: name,
    enabled,
    tier,
    dependsOn,
  };
}

describe('GitopsRepo', () => {
  let root: string;
  let repo: GitopsRepo;
  const git = async (...args: string[]) => (await runGit(spawnRunner, repo.dir, args)).stdout;
  const commitCount = async () => Number((await git('rev-list', '--count', 'HEAD')).trim());
  const read = (path: string) => readFileSync(join(repo.dir, path), 'utf8');

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'paddock-gitops-'));
    repo = new GitopsRepo({
      dir: join(root, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: REPO_URL },
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a mutation before init', async () => {
    await assert.rejects(repo.addAgent('team-a'), (error) => isPaddockError(error, 'not_found'));
  });

  it('init creates the layout, the README and the bootstrap objects in one commit', async () => {
    const result = await repo.init();
    assert.equal(result.committed, true);
    assert.equal(result.message, 'init: gitops repository');
    assert.equal(await commitCount(), 1);
    assert.equal((await git('symbolic-ref', '--short', 'HEAD')).trim(), 'main');
    const files = (await git('ls-files')).trim().split('\n');
    for (const file of [
      'README.md',
      'apps/coordinates/.gitkeep',
      'apps/values/.gitkeep',
      'catalog/.gitkeep',
      'agents/.gitkeep',
      'infra/.gitkeep',
      'bootstrap/appproject-paddock.yaml',
      'bootstrap/applicationset-paddock-apps.yaml',
      'bootstrap/applicationset-paddock-catalog.yaml',
      'bootstrap/applicationset-paddock-agents.yaml',
    ]) {
      assert.ok(files.includes(file), `${file} in ${files.join(', ')}`);
    }
    assert.match(read('README.md'), /apps\/coordinates/);
    assert.deepEqual(
      parse(read('bootstrap/applicationset-paddock-catalog.yaml')),
      repo.bootstrapObjects()[2],
    );
  });

  it('init again changes nothing and makes no commit', async () => {
    const result = await repo.init();
    assert.equal(result.committed, false);
    assert.equal(await commitCount(), 1);
  });

  it('adds, disables, enables and removes a custom app, one commit each', async () => {
    const added = await repo.addApp(
      {
        name: 'my-api',
        repoURL: 'https://charts.example.com',
        chart: 'my-api',
        targetRevision: '1.2.0',
      },
      { replicas: 2 },
    );
    assert.equal(added.message, 'apps: add my-api (my-api@1.2.0)');
    assert.deepEqual(parse(read('apps/coordinates/my-api.yaml')), {
      name: 'my-api',
      enabled: true,
      namespace: 'my-api',
      source: {
        repoURL: 'https://charts.example.com',
        chart: 'my-api',
        path: '',
        targetRevision: '1.2.0',
      },
    });
    assert.deepEqual(parse(read('apps/values/my-api.yaml')), { replicas: 2 });
    await assert.rejects(
      repo.addApp({ name: 'my-api', repoURL: 'https://x', chart: 'x', targetRevision: '1' }),
      (error) => isPaddockError(error, 'already_exists'),
    );
    await repo.addApp({
      name: 'web',
      namespace: 'frontend',
      repoURL: 'https://github.com/example/web.git',
      path: 'deploy/chart',
      targetRevision: 'main',
    });
    assert.deepEqual(
      (await repo.listApps()).map((app) => [app.name, app.namespace, app.source.path]),
      [
        ['my-api', 'my-api', ''],
        ['web', 'frontend', 'deploy/chart'],
      ],
    );
    assert.equal((await repo.disableApp('my-api')).message, 'apps: disable my-api');
    assert.equal(parse(read('apps/coordinates/my-api.yaml')).enabled, false);
    const again = await repo.disableApp('my-api');
    assert.equal(again.committed, false);
    await repo.enableApp('my-api');
    await repo.setAppValues('my-api', { replicas: 3 });
    assert.deepEqual(await repo.appValues('my-api'), { replicas: 3 });
    await repo.removeApp('web');
    assert.equal(existsSync(join(repo.dir, 'apps/coordinates/web.yaml')), false);
    assert.equal(existsSync(join(repo.dir, 'apps/values/web.yaml')), false);
    await assert.rejects(repo.removeApp('web'), (error) => isPaddockError(error, 'not_found'));
    await assert.rejects(repo.removeApp('../etc'), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    const subjects = (await repo.log()).map((commit) => commit.subject);
    assert.deepEqual(subjects.slice(0, 6), [
      'apps: remove web',
      'apps: set values of my-api',
      'apps: enable my-api',
      'apps: disable my-api',
      'apps: add web (deploy/chart@main)',
      'apps: add my-api (my-api@1.2.0)',
    ]);
    // Each commit touches the app's files only.
    assert.deepEqual((await git('show', '--name-only', '--format=', 'HEAD~2')).trim().split('\n'), [
      'apps/coordinates/my-api.yaml',
    ]);
  });

  it('rejects an app with both or neither of chart and path', () => {
    assert.throws(() => repo.addApp({ name: 'x', repoURL: 'https://x', targetRevision: '1' }));
    assert.throws(() =>
      repo.addApp({ name: 'x', repoURL: 'https://x', chart: 'a', path: 'b', targetRevision: '1' }),
    );
  });

  it('writes the catalog state with the given message, and nothing when nothing changed', async () => {
    const before = await commitCount();
    const entries = [
      entry('litellm', true, 2, ['postgresql']),
      entry('postgresql', true, 1),
      { ...entry('ollama', false, 2), values: { gpu: { enabled: false } } },
    ];
    const result = await repo.writeCatalog(entries, {
      message: 'catalog: enable litellm (+ postgresql)',
    });
    assert.equal(result.committed, true);
    assert.equal((await repo.log(1))[0]?.subject, 'catalog: enable litellm (+ postgresql)');
    assert.deepEqual(parse(read('catalog/litellm.yaml')), {
      name: 'litellm',
      category: 'llm-gateway',
      description: 'litellm entry',
      repoURL: 'https://example.com/charts',
      chart: 'litellm',
      chartPath: '',
      targetRevision: '1.0.0',
      namespace: 'litellm',
      enabled: true,
      tier: 2,
      dependsOn: ['postgresql'],
      prerequisites: [],
    });
    assert.deepEqual(parse(read('catalog/values/ollama.yaml')), { gpu: { enabled: false } });
    // Read back, the entries are what was written (defaults of the catalog's type filled in).
    assert.deepEqual(
      await repo.readCatalog(),
      [entries[0], entries[2], entries[1]].map((e) => ({ values: {}, prerequisites: [], ...e })),
    );
    assert.equal((await repo.writeCatalog(entries)).committed, false);
    assert.equal(await commitCount(), before + 1);
    // Without a message, the commit says what changed; a dropped entry's files go.
    const next = await repo.writeCatalog([entry('litellm', false, 2), entry('ollama', true, 2)]);
    assert.equal(next.message, 'catalog: enable ollama; disable litellm, postgresql');
    assert.equal(existsSync(join(repo.dir, 'catalog/postgresql.yaml')), false);
    assert.equal(existsSync(join(repo.dir, 'catalog/values/ollama.yaml')), false);
    assert.throws(() => repo.writeCatalog([entry('a', true), entry('a', false)]));
  });

  it('writes a chart in a git repository as chartPath, and gitops:self as the repository URL', async () => {
    const paddock: CatalogEntryInput = {
      ...entry('paddock', true, 3),
      category: 'platform',
      repoURL: 'gitops:self',
      chart: undefined,
      path: 'charts/paddock',
      targetRevision: '0.1.0',
    };
    delete paddock.chart;
    await repo.writeCatalog([paddock]);
    const file = parse(read('catalog/paddock.yaml'));
    assert.equal(file.repoURL, REPO_URL);
    assert.equal(file.chart, '');
    assert.equal(file.chartPath, 'charts/paddock');
    assert.equal('path' in file, false);
    const [back] = await repo.readCatalog();
    assert.equal(back?.repoURL, 'gitops:self');
    assert.equal(back?.path, 'charts/paddock');
    assert.equal(back?.chart, undefined);
  });

  it('reads a hand-edited catalog file that is not an entry as validation_failed naming the file and field', async () => {
    const path = join(repo.dir, 'catalog/paddock.yaml');
    const good = read('catalog/paddock.yaml');
    try {
      writeFileSync(path, good.replace(/^tier: .*$/m, 'tier: high'));
      await assert.rejects(
        repo.readCatalog(),
        (e) =>
          isPaddockError(e, 'validation_failed') &&
          /^catalog\/paddock\.yaml is not a catalog entry: tier: /.test(e.message),
      );
      writeFileSync(path, 'name: [unclosed');
      await assert.rejects(
        repo.readCatalog(),
        (e) =>
          isPaddockError(e, 'validation_failed') &&
          /^catalog\/paddock\.yaml is not YAML: /.test(e.message),
      );
    } finally {
      writeFileSync(path, good);
    }
  });

  it('writes an agent namespace with its manifests, and removes it', async () => {
    const result = await repo.addAgent('team-a', {
      cpu: '2',
      memory: '4Gi',
      pods: 10,
      egress: { namespaces: ['litellm'] },
    });
    assert.equal(result.message, 'agents: add team-a (cpu 2, memory 4Gi, pods 10)');
    assert.deepEqual((await git('show', '--name-only', '--format=', 'HEAD')).trim().split('\n'), [
      'agents/team-a.yaml',
      'agents/team-a/limitrange.yaml',
      'agents/team-a/namespace.yaml',
      'agents/team-a/networkpolicy-default-deny.yaml',
      'agents/team-a/networkpolicy-granted.yaml',
      'agents/team-a/resourcequota.yaml',
      'agents/team-a/serviceaccount.yaml',
    ]);
    assert.deepEqual(parse(read('agents/team-a/resourcequota.yaml')).spec.hard, {
      'requests.cpu': '2',
      'requests.memory': '4Gi',
      'limits.cpu': '2',
      'limits.memory': '4Gi',
      pods: '10',
    });
    assert.deepEqual(
      (await repo.listAgents()).map((agent) => [agent.name, agent.egress.namespaces]),
      [['team-a', ['litellm']]],
    );
    await assert.rejects(repo.addAgent('team-a'), (error) =>
      isPaddockError(error, 'already_exists'),
    );
    assert.throws(() => repo.addAgent('kube-system'));
    assert.throws(() => repo.addAgent('team-b', { cpu: '1', requestsCpu: '2' }));
    await repo.removeAgent('team-a');
    assert.equal(existsSync(join(repo.dir, 'agents/team-a')), false);
    assert.equal((await repo.log(1))[0]?.subject, 'agents: remove team-a');
    assert.equal((await git('status', '--porcelain')).trim(), '');
  });

  it('updates an agent namespace in one commit: quota, egress, its cilium policy', async () => {
    await repo.addAgent('team-u', { cpu: '2', memory: '4Gi', egress: { namespaces: ['litellm'] } });
    const count = await commitCount();
    const result = await repo.updateAgent('team-u', {
      cpu: '8',
      memory: '16Gi',
      cilium: true,
      egress: { fqdns: ['api.openai.com'] },
    });
    assert.equal(
      result.message,
      'agents: update team-u (cpu 8, memory 16Gi, cilium true, egress.fqdns [api.openai.com])',
    );
    assert.equal(await commitCount(), count + 1, 'one commit, no remove and add');
    assert.deepEqual((await git('show', '--name-status', '--format=', 'HEAD')).trim().split('\n'), [
      'M\tagents/team-u.yaml',
      'A\tagents/team-u/ciliumnetworkpolicy.yaml',
      'M\tagents/team-u/limitrange.yaml',
      'M\tagents/team-u/resourcequota.yaml',
    ]);
    assert.equal(parse(read('agents/team-u/resourcequota.yaml')).spec.hard['limits.cpu'], '8');
    const [agent] = (await repo.listAgents()).filter((a) => a.name === 'team-u');
    assert.deepEqual(agent?.egress.namespaces, ['litellm'], 'egress merged, not replaced');
    // Nothing changed: no commit. Cilium off again: its policy goes with the same commit.
    assert.equal((await repo.updateAgent('team-u', { cpu: '8' })).committed, false);
    await repo.updateAgent('team-u', { cilium: false, egress: { fqdns: [] } });
    assert.equal(existsSync(join(repo.dir, 'agents/team-u/ciliumnetworkpolicy.yaml')), false);
    assert.equal(await commitCount(), count + 2);
    await assert.rejects(repo.updateAgent('team-u', { cpu: 'lots' }), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    await assert.rejects(repo.updateAgent('team-z', { cpu: '1' }), (error) =>
      isPaddockError(error, 'not_found'),
    );
    assert.equal(await commitCount(), count + 2);
    await repo.removeAgent('team-u');
  });

  it('deep-merges infra overrides over the compiled-in defaults', async () => {
    const defaults = await repo.infraValues('cilium');
    assert.equal(defaults.kubeProxyReplacement, true);
    const result = await repo.setInfra('cilium', {
      hubble: { ui: { enabled: false } },
      tolerations: [],
    });
    assert.equal(result.message, 'infra: override cilium');
    const values = await repo.infraValues('cilium');
    assert.deepEqual(values.hubble, {
      enabled: true,
      relay: { enabled: true },
      ui: { enabled: false },
    });
    assert.deepEqual(values.tolerations, []);
    assert.equal(values.kubeProxyReplacement, true);
    assert.equal(
      (await repo.setInfra('cilium', { hubble: { ui: { enabled: false } }, tolerations: [] }))
        .committed,
      false,
    );
    assert.equal(
      (await repo.setInfra('cilium', {})).message,
      'infra: reset cilium to the defaults',
    );
    assert.deepEqual(await repo.infraValues('cilium'), defaults);
  });

  it('refuses to sweep uncommitted hand edits into its commit', async () => {
    const before = await commitCount();
    writeFileSync(join(repo.dir, 'infra/argocd.yaml'), 'server: {}\n');
    await assert.rejects(repo.addAgent('team-c'), (error) => isPaddockError(error, 'conflict'));
    assert.equal(await commitCount(), before);
    rmSync(join(repo.dir, 'infra/argocd.yaml'));
  });

  it('runs concurrent mutations one at a time, one commit each', async () => {
    const before = await commitCount();
    await Promise.all(['c1', 'c2', 'c3', 'c4'].map((name) => repo.addAgent(name)));
    assert.equal(await commitCount(), before + 4);
    assert.equal((await git('status', '--porcelain')).trim(), '');
  });
});
