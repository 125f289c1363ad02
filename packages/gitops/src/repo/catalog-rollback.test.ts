// A catalog entry's rollback over real git, checked against the dependency rule: refused (nothing
// written, nothing committed) when the restored state would leave an enabled entry with a
// disabled dependency, whichever side the rollback restores; with force it goes on and says so.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { CatalogEntryInput, DependencyProblem } from '../catalog/index.ts';
import { catalogRollbackCheck } from './catalog-rollback.ts';
import { runGit } from './command-runner.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { AppHistory } from './history.ts';
import { spawnRunner } from './spawn-runner.ts';

function entry(name: string, tier: number, dependsOn: string[] = []): CatalogEntryInput {
  return {
    name,
    category: 'platform',
    description: `${name} entry`,
    repoURL: 'https://example.com/charts',
    chart: name,
    targetRevision: '1.0.0',
    namespace: name,
    enabled: false,
    tier: tier as CatalogEntryInput['tier'],
    dependsOn,
  };
}

const ENTRIES = [
  entry('postgresql', 1),
  entry('valkey', 1),
  entry('litellm', 2, ['postgresql', 'valkey']),
];

describe('catalogRollbackCheck', () => {
  let root: string;
  let repo: GitopsRepo;
  let history: AppHistory;
  const set = (enabled: string[], message: string) =>
    repo.writeCatalog(
      ENTRIES.map((e) => ({ ...e, enabled: enabled.includes(e.name) })),
      { message },
    );
  const head = async () =>
    (await runGit(spawnRunner, repo.dir, ['rev-parse', 'HEAD'])).stdout.trim();
  const status = async () =>
    (await runGit(spawnRunner, repo.dir, ['status', '--porcelain'])).stdout.trim();
  const checkFor = async (name: string, force = false, forced: DependencyProblem[][] = []) =>
    catalogRollbackCheck({
      name,
      current: await repo.readCatalog(),
      repoURL: repo.settings.repoURL,
      force,
      onForced: (problems) => forced.push(problems),
    });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'catalog-rollback-'));
    repo = new GitopsRepo({
      dir: join(root, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: 'git://example/gitops' },
    });
    history = new AppHistory({ dir: repo.dir, runner: spawnRunner });
    await repo.init();
    await set([], 'catalog: all off');
    await set(
      ['postgresql', 'valkey', 'litellm'],
      'catalog: enable litellm (+ postgresql, valkey)',
    );
    await set(['postgresql', 'valkey'], 'catalog: disable litellm');
    await set(['postgresql'], 'catalog: disable valkey');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses to re-enable an entry whose dependency has been disabled since, naming it', async () => {
    const before = await head();
    await assert.rejects(
      history.revert({ kind: 'catalog', name: 'litellm' }, undefined, {
        check: await checkFor('litellm'),
      }),
      (e) => {
        assert.ok(isPaddockError(e, ErrorCode.Conflict));
        assert.match(
          e.message,
          /^rolling back catalog entry litellm to [0-9a-f]+ \(catalog: enable litellm \(\+ postgresql, valkey\)\) would leave litellm enabled without valkey \(disabled\): enable valkey first, or use --force$/,
        );
        assert.deepEqual(e.details.problems, [{ name: 'litellm', missing: ['valkey'] }]);
        return true;
      },
    );
    assert.equal(await head(), before, 'nothing committed');
    assert.equal(await status(), '', 'nothing written');
  });

  it('refuses to disable a dependency an enabled entry has come to need', async () => {
    await set(['postgresql', 'valkey', 'litellm'], 'catalog: enable litellm again');
    const before = await head();
    // postgresql's state at the first commit: disabled.
    const [first] = (await history.history({ kind: 'catalog', name: 'postgresql' })).slice(-1);
    await assert.rejects(
      history.revert({ kind: 'catalog', name: 'postgresql' }, first?.sha, {
        check: await checkFor('postgresql'),
      }),
      (e) =>
        isPaddockError(e, ErrorCode.Conflict) &&
        /would leave litellm enabled without postgresql \(disabled\): enable postgresql first/.test(
          e.message,
        ),
    );
    assert.equal(await head(), before);
    await set(['postgresql'], 'catalog: disable litellm, valkey');
  });

  it('lets a rollback that keeps the rule through; with force, one that breaks it, saying what', async () => {
    // valkey back on (its state before its last change) breaks nothing.
    const fine = await history.revert({ kind: 'catalog', name: 'valkey' }, undefined, {
      check: await checkFor('valkey'),
    });
    assert.match(fine.message, /^catalog: roll back valkey to /);
    await set(['postgresql'], 'catalog: disable valkey again');
    const forced: DependencyProblem[][] = [];
    const [enabledOnce] = (await history.history({ kind: 'catalog', name: 'litellm' })).filter(
      (c) => c.subject.startsWith('catalog: enable litellm again'),
    );
    const result = await history.revert({ kind: 'catalog', name: 'litellm' }, enabledOnce?.sha, {
      check: await checkFor('litellm', true, forced),
    });
    assert.match(result.message, /^catalog: roll back litellm to /);
    assert.deepEqual(forced, [[{ name: 'litellm', missing: ['valkey'] }]]);
    const now = new Map((await repo.readCatalog()).map((e) => [e.name, e.enabled]));
    assert.deepEqual(Object.fromEntries(now), { litellm: true, postgresql: true, valkey: false });
  });
});
