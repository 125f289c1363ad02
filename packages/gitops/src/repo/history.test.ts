// An app's history over real git in a temporary folder: the commits that changed its files, the
// diff between revisions and against the work tree, and rollbacks as exactly one commit that
// restores the files byte for byte (and nothing else), refused when there is no earlier state.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import type { CatalogEntryInput } from '../catalog/index.ts';
import { runGit } from './command-runner.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { AppHistory, appPaths } from './history.ts';
import { spawnRunner } from './spawn-runner.ts';

function entry(name: string, enabled: boolean, dependsOn: string[] = []): CatalogEntryInput {
  return {
    name,
    category: 'llm-gateway',
    description: `${name} entry`,
    repoURL: 'https://example.com/charts',
    chart: name,
    targetRevision: '1.0.0',
    namespace: name,
    enabled,
    tier: 1,
    dependsOn,
  };
}

const API = { kind: 'app', name: 'my-api' } as const;
const LITELLM = { kind: 'catalog', name: 'litellm' } as const;

describe('AppHistory', () => {
  let root: string;
  let repo: GitopsRepo;
  let history: AppHistory;
  const git = async (...args: string[]) => (await runGit(spawnRunner, repo.dir, args)).stdout;
  const commitCount = async () => Number((await git('rev-list', '--count', 'HEAD')).trim());
  const read = (path: string) => readFileSync(join(repo.dir, path), 'utf8');

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'paddock-history-'));
    repo = new GitopsRepo({
      dir: join(root, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: 'git://gitops.example/gitops' },
    });
    history = new AppHistory({ dir: repo.dir, runner: spawnRunner });
    await repo.init();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists the commits that changed an app’s files, newest first', async () => {
    await repo.addApp(
      {
        name: 'my-api',
        repoURL: 'https://charts.example.com',
        chart: 'api',
        targetRevision: '1.0.0',
      },
      { replicas: 1 },
    );
    await repo.addAgent('team-a');
    await repo.setAppValues('my-api', { replicas: 3 });
    const changes = await history.history(API);
    assert.deepEqual(
      changes.map((c) => c.subject),
      ['apps: set values of my-api', 'apps: add my-api (api@1.0.0)'],
    );
    assert.match(changes[0]?.sha ?? '', /^[0-9a-f]{40}$/);
    assert.equal(changes[0]?.sha.startsWith(changes[0]?.shortSha ?? 'x'), true);
    assert.deepEqual(await history.history({ kind: 'app', name: 'other' }), []);
  });

  it('diffs the app’s files between revisions, and against the work tree', async () => {
    const [last, first] = await history.history(API);
    const diff = await history.diff(API, first?.sha ?? '', last?.sha ?? '');
    assert.match(diff, /^diff --git a\/apps\/values\/my-api\.yaml b\/apps\/values\/my-api\.yaml$/m);
    assert.match(diff, /^-replicas: 1$/m);
    assert.match(diff, /^\+replicas: 3$/m);
    assert.doesNotMatch(diff, /agents\//, 'another app’s change is not in the diff');
    assert.equal(await history.diff(API, 'HEAD'), '');
    writeFileSync(join(repo.dir, 'apps/values/my-api.yaml'), 'replicas: 5\n');
    writeFileSync(join(repo.dir, 'apps/coordinates/other.yaml'), 'name: other\n');
    const local = await history.diff(API, 'HEAD');
    assert.match(local, /^-replicas: 3$/m);
    assert.match(local, /^\+replicas: 5$/m);
    assert.deepEqual(await history.uncommitted(API), [' M apps/values/my-api.yaml']);
    const other = { kind: 'app', name: 'other' } as const;
    assert.deepEqual(await history.untracked(other), ['apps/coordinates/other.yaml']);
    assert.match(await history.diff(other, 'HEAD'), /^\+name: other$/m);
    await git('checkout', '--', 'apps/values/my-api.yaml');
    rmSync(join(repo.dir, 'apps/coordinates/other.yaml'));
  });

  it('rolls back the app’s last change as exactly one commit; its files match the earlier state', async () => {
    const [, first] = await history.history(API);
    const before = await commitCount();
    const result = await history.revert(API);
    assert.equal(await commitCount(), before + 1);
    assert.equal(
      result.message,
      `apps: roll back my-api to ${first?.shortSha} (apps: add my-api (api@1.0.0))`,
    );
    assert.equal((await git('log', '-1', '--format=%s')).trim(), result.message);
    assert.deepEqual(result.files, ['apps/values/my-api.yaml']);
    assert.deepEqual((await git('show', '--name-only', '--format=', 'HEAD')).trim().split('\n'), [
      'apps/values/my-api.yaml',
    ]);
    for (const path of appPaths(API)) {
      assert.equal(read(path), await git('show', `${first?.sha}:${path}`), path);
    }
    assert.equal(existsSync(join(repo.dir, 'agents/team-a.yaml')), true, 'other changes stay');
    assert.equal((await git('status', '--porcelain')).trim(), '');
    // Rolling back again undoes the rollback (its last change), like git revert of a revert.
    await history.revert(API);
    assert.equal(read('apps/values/my-api.yaml'), 'replicas: 3\n');
  });

  it('rolls back to a named revision, and a removal back to the app', async () => {
    const [, , , added] = await history.history(API);
    assert.equal(added?.subject, 'apps: add my-api (api@1.0.0)');
    await repo.removeApp('my-api');
    const before = await commitCount();
    const result = await history.revert(API, added?.shortSha);
    assert.equal(await commitCount(), before + 1);
    assert.deepEqual(result.files, ['apps/coordinates/my-api.yaml', 'apps/values/my-api.yaml']);
    assert.equal(read('apps/values/my-api.yaml'), 'replicas: 1\n');
    assert.deepEqual(
      (await repo.listApps()).map((a) => a.name),
      ['my-api'],
    );
  });

  it('refuses without an earlier state, at the same state, with an unknown revision or a dirty tree', async () => {
    await repo.addApp({
      name: 'fresh',
      repoURL: 'https://charts.example.com',
      chart: 'fresh',
      targetRevision: '0.1.0',
    });
    const count = await commitCount();
    const refused = async (run: () => Promise<unknown>, code: string, message: RegExp) =>
      assert.rejects(run, (error) => {
        assert.ok(isPaddockError(error), String(error));
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      });
    const fresh = { kind: 'app', name: 'fresh' } as const;
    await refused(
      () => history.revert(fresh),
      'conflict',
      /app fresh has no earlier state: its only change is [0-9a-f]+ \(apps: add fresh/,
    );
    await refused(
      () => history.revert({ kind: 'app', name: 'ghost' }),
      'conflict',
      /app ghost has no history/,
    );
    await refused(
      () => history.revert(fresh, 'HEAD~1'),
      'conflict',
      /has no earlier state at [0-9a-f]+ .*none of its files existed then/,
    );
    await refused(() => history.revert(fresh, 'HEAD'), 'conflict', /already: nothing to roll back/);
    await refused(() => history.revert(fresh, 'nope'), 'not_found', /no commit "nope"/);
    await refused(() => history.revert(fresh, '--all'), 'not_found', /no commit "--all"/);
    writeFileSync(join(repo.dir, 'apps/values/fresh.yaml'), 'x: 1\n');
    await refused(() => history.revert(API), 'conflict', /uncommitted changes/);
    await git('checkout', '--', 'apps/values/fresh.yaml');
    assert.equal(await commitCount(), count, 'no refusal commits');
    assert.equal((await git('status', '--porcelain')).trim(), '');
  });

  it('rolls back a catalog entry’s files (catalog/ and infra/) alone, not what came with it', async () => {
    await repo.writeCatalog([entry('postgresql', false), entry('litellm', false, ['postgresql'])]);
    await repo.setInfra('litellm', { replicas: 2 });
    await repo.writeCatalog([entry('postgresql', true), entry('litellm', true, ['postgresql'])], {
      message: 'catalog: enable litellm (+ postgresql)',
    });
    const [, infra] = await history.history(LITELLM);
    assert.equal(infra?.subject, 'infra: override litellm');
    const before = await commitCount();
    const result = await history.revert(LITELLM);
    assert.equal(await commitCount(), before + 1);
    assert.match(
      result.message,
      /^catalog: roll back litellm to [0-9a-f]+ \(infra: override litellm\)$/,
    );
    assert.deepEqual(result.files, ['catalog/litellm.yaml']);
    const catalog = new Map((await repo.readCatalog()).map((e) => [e.name, e.enabled]));
    assert.deepEqual(
      [...catalog],
      [
        ['litellm', false],
        ['postgresql', true],
      ],
    );
    const infraRollback = await history.revert(LITELLM, 'HEAD~3');
    assert.deepEqual(infraRollback.files, ['infra/litellm.yaml']);
    assert.equal(existsSync(join(repo.dir, 'infra/litellm.yaml')), false);
  });

  it('tells whether the repository holds a commit', async () => {
    assert.equal(await history.hasCommit(await repo.head()), true);
    assert.equal(await history.hasCommit('0'.repeat(40)), false);
    assert.equal(await history.hasCommit('--all'), false);
    assert.throws(() => appPaths({ kind: 'app', name: '../x' }), /DNS-1123/);
  });
});
