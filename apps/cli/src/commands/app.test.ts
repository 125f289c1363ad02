// paddock app rollback|diff|logs through the real CLI: a rollback is exactly one commit whose
// files match the earlier state; diff shows the change against the revision Argo CD synced (an
// Application on the test API server) or, without a cluster, the uncommitted change with a note;
// logs read the app's pods from the core API stand-in, prefixed by pod and container.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_CATALOG,
  GitopsRepo,
  processRunner,
  repositoryDir,
  runGit,
  type Session,
  writeSession,
} from '@paddock/gitops';
import { type CoreApiStandIn, installCrds, KubeClient, startCoreApiStandIn } from '@paddock/kube';
import { kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { runCli, spawnCli } from '../test-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const home = mkdtempSync(join(tmpdir(), 'cli-app-'));
const env = { ...process.env, NO_COLOR: '1', PADDOCK_HOME: home };

function sessionOf(name: string, state: Session['state'], kubeconfig: string): Session {
  return {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterSession',
    name,
    mode: 'existing',
    state,
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:05:00.000Z',
    nodeCount: 1,
    kubeconfig,
    ports: { api: 6551, http: 8080, https: 8443 },
    urls: { api: 'https://127.0.0.1:6551' },
    credentials: {},
    bootstrap: { version: '0.1.0', cilium: '1.19.5', argocd: '9.5.4', paddock: '0.1.0' },
  };
}

async function repoFor(name: string): Promise<GitopsRepo> {
  const repo = new GitopsRepo({
    dir: repositoryDir(home, name),
    runner: processRunner(),
    settings: { repoURL: 'git://example/gitops' },
  });
  await repo.init();
  return repo;
}

const git = async (repo: GitopsRepo, ...args: string[]) =>
  (await runGit(processRunner(), repo.dir, args)).stdout;
const commits = async (repo: GitopsRepo) =>
  Number((await git(repo, 'rev-list', '--count', 'HEAD')).trim());

async function cli(...args: string[]) {
  return runCli(args, { env });
}

after(() => rmSync(home, { recursive: true, force: true }));

describe('paddock app rollback', () => {
  let repo: GitopsRepo;
  before(async () => {
    writeSession(home, sessionOf('dev', 'stopped', join(home, 'none')));
    repo = await repoFor('dev');
    const values = join(home, 'values.yaml');
    writeFileSync(values, 'replicas: 1\n');
    const added = await cli(
      'app',
      'add',
      'my-api',
      '--set',
      'repoURL=https://charts.example.com',
      '--set',
      'chart=api',
      '--set',
      'targetRevision=1.0.0',
      '--set',
      'namespace=apis',
      '--values',
      values,
      '--cluster-name',
      'dev',
    );
    assert.equal(added.code, 0, added.stderr);
    await repo.setAppValues('my-api', { replicas: 3 });
  });

  it('undoes the app’s last change as exactly one commit; the files match the earlier state', async () => {
    const [, earlier] = await repo.log(2);
    const count = await commits(repo);
    const result = await cli('app', 'rollback', 'my-api', '--cluster-name', 'dev');
    assert.equal(result.code, 0, result.stderr);
    const short = (await git(repo, 'rev-parse', '--short', earlier?.sha ?? '')).trim();
    assert.match(
      result.stdout,
      new RegExp(
        `^apps: roll back my-api to ${short} \\(apps: add my-api \\(api@1\\.0\\.0\\)\\) \\(commit [0-9a-f]{12}\\)$`,
        'm',
      ),
    );
    assert.match(result.stdout, /^restored: apps\/values\/my-api\.yaml$/m);
    assert.match(result.stdout, /Argo CD syncs app-my-api to it when it next polls/);
    assert.equal(await commits(repo), count + 1);
    for (const path of ['apps/coordinates/my-api.yaml', 'apps/values/my-api.yaml']) {
      assert.equal(
        readFileSync(join(repo.dir, path), 'utf8'),
        await git(repo, 'show', `${earlier?.sha}:${path}`),
      );
    }
    assert.deepEqual(await repo.appValues('my-api'), { replicas: 1 });
  });

  it('refuses without an earlier state, an unknown revision, a name of nothing, --sync without a cluster; --to a revision', async () => {
    const count = await commits(repo);
    const fresh = await cli('app', 'rollback', 'litellm', '--cluster-name', 'dev');
    assert.notEqual(fresh.code, 0);
    assert.match(fresh.stderr, /catalog entry litellm has no history in the GitOps repository/);
    const unknown = await cli(
      'app',
      'rollback',
      'my-api',
      '--to',
      'deadbeef',
      '--cluster-name',
      'dev',
    );
    assert.match(unknown.stderr, /no commit "deadbeef" in the GitOps repository/);
    const ghost = await cli('app', 'rollback', 'ghost', '--cluster-name', 'dev');
    assert.match(ghost.stderr, /no app or catalog entry named ghost/);
    assert.equal(await commits(repo), count, 'refusals commit nothing');
    const [, setValues] = await repo.log(2);
    assert.equal(setValues?.subject, 'apps: set values of my-api');
    const stopped = await cli(
      'app',
      'rollback',
      'my-api',
      '--to',
      setValues?.sha ?? '',
      '--sync',
      '--cluster-name',
      'dev',
    );
    assert.notEqual(stopped.code, 0);
    assert.match(
      stopped.stderr,
      /paddock app rollback --sync needs the cluster: cluster dev is stopped .*nothing was rolled back/,
    );
    assert.equal(await commits(repo), count, 'refusals commit nothing');
    const to = await cli(
      'app',
      'rollback',
      'my-api',
      '--to',
      setValues?.sha ?? '',
      '--cluster-name',
      'dev',
    );
    assert.equal(to.code, 0, to.stderr);
    assert.match(to.stdout, /^apps: roll back my-api to [0-9a-f]+ \(apps: set values of my-api\)/m);
    assert.equal(await commits(repo), count + 1);
    assert.deepEqual(await repo.appValues('my-api'), { replicas: 3 });
  });
});

describe('paddock app rollback of a catalog entry', () => {
  it('refuses a state that leaves an enabled entry with a disabled dependency, naming it; --force goes on', async () => {
    // The URL the repository was written with: the paddock entry's chart is this repository's.
    const session = sessionOf('cat', 'stopped', join(home, 'none'));
    writeSession(home, {
      ...session,
      urls: { ...session.urls, repository: 'git://example/gitops' },
    });
    const repo = await repoFor('cat');
    const catalog = DEFAULT_CATALOG.entries;
    const set = (on: string[], message: string) =>
      repo.writeCatalog(
        catalog.map((e) => ({ ...e, enabled: on.includes(e.name) })),
        { message },
      );
    await set([], 'catalog: all off');
    await set(['cloudnative-pg', 'postgresql', 'valkey', 'litellm'], 'catalog: enable litellm');
    await set(['cloudnative-pg', 'postgresql', 'valkey'], 'catalog: disable litellm');
    await set(['cloudnative-pg', 'postgresql'], 'catalog: disable valkey');
    const count = await commits(repo);
    const refused = await cli('app', 'rollback', 'litellm', '--cluster-name', 'cat');
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /rolling back catalog entry litellm to [0-9a-f]+ \(catalog: enable litellm\) would leave litellm enabled without valkey \(disabled\): enable valkey first, or use --force/,
    );
    assert.equal(await commits(repo), count, 'a refusal commits nothing');
    const forced = await cli('app', 'rollback', 'litellm', '--force', '--cluster-name', 'cat');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /^warning: --force: litellm stays enabled without valkey$/m);
    assert.match(
      forced.stdout,
      /^catalog: roll back litellm to [0-9a-f]+ \(catalog: enable litellm\)/m,
    );
    assert.equal(await commits(repo), count + 1);
  });
});

describe('paddock app diff without a cluster', () => {
  it('shows the uncommitted change against the last commit, with a note', async () => {
    const repo = await repoFor('dev');
    const path = join(repo.dir, 'apps/values/my-api.yaml');
    const before = readFileSync(path, 'utf8');
    writeFileSync(path, 'replicas: 7\n');
    try {
      const result = await cli('app', 'diff', 'my-api', '--cluster-name', 'dev');
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /^note: cluster dev is stopped \(paddock cluster start dev\): showing my-api's uncommitted changes against the last commit/m,
      );
      assert.match(result.stdout, /^--- a\/apps\/values\/my-api\.yaml$/m);
      assert.match(result.stdout, /^\+replicas: 7$/m);
    } finally {
      writeFileSync(path, before);
    }
    const clean = await cli('app', 'diff', 'my-api', '--cluster-name', 'dev');
    assert.equal(clean.stdout, '');
    assert.match(clean.stderr, /no uncommitted changes to my-api's files/);
  });
});

describe('paddock app logs and diff against the core API stand-in', () => {
  let core: CoreApiStandIn;
  let repo: GitopsRepo;
  before(async () => {
    core = await startCoreApiStandIn();
    writeSession(home, sessionOf('core', 'running', core.kubeconfig));
    repo = await repoFor('core');
    await repo.addApp({
      name: 'my-api',
      namespace: 'apis',
      repoURL: 'https://charts.example.com',
      chart: 'api',
      targetRevision: '1.0.0',
    });
    const pod = (name: string, instance: string, containers: string[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'apis',
        labels: { 'app.kubernetes.io/instance': instance },
      },
      spec: { containers: containers.map((c) => ({ name: c, image: `example/${c}:1` })) },
    });
    await core.add(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apis' } },
      pod('my-api-7d9f-a', 'my-api', ['api', 'sidecar']),
      pod('my-api-7d9f-b', 'my-api', ['api', 'sidecar']),
      pod('other-1', 'other', ['api']),
    );
    core.setLog('apis', 'my-api-7d9f-a', 'api', 'a1\na2\na3\n');
    core.setLog('apis', 'my-api-7d9f-a', 'sidecar', 's1\n');
    core.setLog('apis', 'my-api-7d9f-b', 'api', 'b1\nb2\n');
    core.setLog('apis', 'other-1', 'api', 'not mine\n');
  });
  after(() => core?.close());

  it('prints each pod’s containers’ logs, prefixed; --tail and --container narrow them', async () => {
    const all = await cli('app', 'logs', 'my-api', '--cluster-name', 'core');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(
      all.stdout,
      [
        '[my-api-7d9f-a/api] a1',
        '[my-api-7d9f-a/api] a2',
        '[my-api-7d9f-a/api] a3',
        '[my-api-7d9f-a/sidecar] s1',
        '[my-api-7d9f-b/api] b1',
        '[my-api-7d9f-b/api] b2',
        '',
      ].join('\n'),
    );
    assert.ok(
      core.requests.some((r) =>
        r.includes(
          `/api/v1/namespaces/apis/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/instance=my-api')}`,
        ),
      ),
      core.requests.join('\n'),
    );
    const tail = await cli(
      'app',
      'logs',
      'my-api',
      '--tail',
      '1',
      '-c',
      'api',
      '--cluster-name',
      'core',
    );
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, '[my-api-7d9f-a/api] a3\n[my-api-7d9f-b/api] b2\n');
  });

  it('--follow streams new lines of every container as they come; Ctrl-C ends it, streams closed', async () => {
    const run = spawnCli(
      ['app', 'logs', 'my-api', '--follow', '--tail', '1', '-c', 'api', '--cluster-name', 'core'],
      env,
    );
    try {
      await run.waitFor(/\[my-api-7d9f-b\/api\] b2\n/);
      await run.waitFor(/\[my-api-7d9f-a\/api\] a3\n/);
      assert.equal(core.openFollows(), 2, 'one follow=true stream per container');
      core.appendLog('apis', 'my-api-7d9f-b', 'api', 'b3\nb4 part');
      core.appendLog('apis', 'my-api-7d9f-a', 'api', 'a4\n');
      core.appendLog('apis', 'my-api-7d9f-b', 'api', 'ial\n');
      await run.waitFor(/\[my-api-7d9f-b\/api\] b4 partial\n/);
      await run.waitFor(/\[my-api-7d9f-a\/api\] a4\n/);
      run.child.kill('SIGINT');
      // The CLI exits on its own only once it closed both streams (an open socket keeps it alive).
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        result.stdout
          .split('\n')
          .filter((l) => l !== '')
          .sort(),
        [
          '[my-api-7d9f-a/api] a3',
          '[my-api-7d9f-a/api] a4',
          '[my-api-7d9f-b/api] b2',
          '[my-api-7d9f-b/api] b3',
          '[my-api-7d9f-b/api] b4 partial',
        ],
      );
      assert.ok(
        core.requests.some((r) => /\/pods\/my-api-7d9f-a\/log\?.*follow=true/.test(r)),
        core.requests.join('\n'),
      );
      for (let i = 0; core.openFollows() > 0 && i < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(core.openFollows(), 0, 'the stand-in saw both streams closed');
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('says what is wrong: no such container, no pods, a bad --tail, a stopped cluster', async () => {
    const container = await cli('app', 'logs', 'my-api', '-c', 'db', '--cluster-name', 'core');
    assert.match(
      container.stderr,
      /--container: db: no pod of my-api has it \(containers: api, sidecar\)/,
    );
    const tail = await cli('app', 'logs', 'my-api', '--tail', 'many', '--cluster-name', 'core');
    assert.match(tail.stderr, /--tail: must be a number of lines/);
    const none = await cli('app', 'logs', 'litellm', '--cluster-name', 'core');
    assert.notEqual(none.code, 0);
    assert.match(
      none.stderr,
      /no pods of litellm in namespace \S+ \(labelled app\.kubernetes\.io\/instance=litellm or =catalog-litellm\)/,
    );
    const stopped = await cli('app', 'logs', 'my-api', '--cluster-name', 'dev');
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /paddock app logs needs the cluster: cluster dev is stopped/);
  });

  it('diff: a cluster without the Application falls back to the uncommitted changes, saying so', async () => {
    const result = await cli('app', 'diff', 'my-api', '--cluster-name', 'core');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^note: cluster core has no Application app-my-api: showing/m);
  });
});

describe('paddock app diff against an Application', { skip: kubeSkipReason ?? false }, () => {
  it('shows HEAD against the revision Argo CD last synced', async (t) => {
    const crds = join(
      process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube'),
      'crds',
      'argo-cd',
    );
    if (!existsSync(crds)) {
      t.skip(`no Argo CD CRDs at ${crds}`);
      return;
    }
    const server = await startKubeTestServer();
    t.after(() => server.stop());
    const kube = await KubeClient.fromKubeconfig(server.kubeconfig);
    t.after(() => kube.close());
    await installCrds(
      kube,
      readdirSync(crds).map((f) => parse(readFileSync(join(crds, f), 'utf8'))),
    );
    writeSession(home, sessionOf('argo', 'running', server.kubeconfig));
    const repo = await repoFor('argo');
    await repo.addApp(
      {
        name: 'my-api',
        repoURL: 'https://charts.example.com',
        chart: 'api',
        targetRevision: '1.0.0',
      },
      { replicas: 1 },
    );
    const synced = await repo.head();
    await repo.setAppValues('my-api', { replicas: 2 });
    await repo.addAgent('team-a');
    await kube
      .request('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } },
      })
      .catch(() => undefined);
    await kube.request('POST', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', {
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'app-my-api', namespace: 'argocd' },
        spec: {
          project: 'paddock',
          source: { repoURL: 'https://charts.example.com', chart: 'api', targetRevision: '1.0.0' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'my-api' },
        },
        status: { sync: { status: 'OutOfSync', revision: synced } },
      },
    });
    const result = await cli('app', 'diff', 'my-api', '--cluster-name', 'argo');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^Argo CD synced app-my-api at ${synced.slice(0, 7)}[0-9a-f]* \\(apps: add my-api`,
        'm',
      ),
    );
    assert.match(result.stdout, /^-replicas: 1$/m);
    assert.match(result.stdout, /^\+replicas: 2$/m);
    assert.doesNotMatch(result.stdout, /agents\//);
    // status and sync take an app's name for its Application (my-api → app-my-api).
    const status = await cli(
      'app',
      'status',
      'my-api',
      'ghost',
      '-o',
      'name',
      '--cluster-name',
      'argo',
    );
    assert.match(status.stderr, /ghost: no such Application on the cluster \(looked for ghost\)/);
    assert.doesNotMatch(status.stderr, /my-api/);
    const sync = await cli('app', 'sync', 'my-api', '--timeout', '1s', '--cluster-name', 'argo');
    assert.notEqual(sync.code, 0);
    assert.match(sync.stderr, /Argo CD did not finish syncing app-my-api in time/);
  });
});
