// Paddock's chart in the GitOps repository: `init` writes it where the catalog's `paddock` entry
// points, the Application the catalog ApplicationSet generates for that entry finds a valid chart
// there, and `upgradePaddockChart` replaces it in one commit (none when up to date).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { chartFiles } from '@paddock/kube';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { parse } from 'yaml';
import { CATALOG_ENTRIES, type CatalogEntryInput } from '../catalog/index.ts';
import { runGit } from './command-runner.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { PADDOCK_CHART_PATH, paddockChartPath } from './paddock-chart.ts';
import { spawnRunner } from './spawn-runner.ts';

const REPO_URL = 'git://gitops.paddock-system.svc/gitops';

/** Renders `{{ .field }}` as Argo CD's git generator would for a file's fields; drops empties. */
function render(template: unknown, params: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    return template.replace(/\{\{ \.(\w+) \}\}/g, (_, key: string) => {
      assert.ok(key in params, `missing key ${key}`);
      return String(params[key]);
    });
  }
  if (Array.isArray(template)) return template.map((item) => render(item, params));
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const rendered = render(value, params);
      if (rendered !== '') out[key] = rendered;
    }
    return out;
  }
  return template;
}

type Source = { repoURL: string; path?: string; chart?: string; targetRevision: string };

describe('the paddock chart in the gitops repository', () => {
  let root: string;
  let repo: GitopsRepo;
  const git = async (...args: string[]) => (await runGit(spawnRunner, repo.dir, args)).stdout;
  const commitCount = async () => Number((await git('rev-list', '--count', 'HEAD')).trim());
  const tracked = async (path: string) =>
    (await git('ls-files', '--', path)).split('\n').filter((line) => line !== '');

  /** The Application the catalog ApplicationSet generates for the `paddock` entry. */
  function paddockApplication(): { spec: { sources: Source[] } } {
    const set = repo.bootstrapObjects().find((o) => o.metadata.name === 'paddock-catalog');
    assert.ok(set);
    const file = parse(readFileSync(join(repo.dir, 'catalog', 'paddock.yaml'), 'utf8'));
    return render(set.spec.template, file) as { spec: { sources: Source[] } };
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'paddock-gitops-chart-'));
    repo = new GitopsRepo({
      dir: join(root, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: REPO_URL },
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('init writes the chart in its one commit, at the path the catalog entry names', async () => {
    const result = await repo.init();
    assert.equal(result.committed, true);
    assert.equal(await commitCount(), 1);
    assert.equal(PADDOCK_CHART_PATH, 'charts/paddock');
    const files = chartFiles();
    assert.deepEqual(
      (await tracked(PADDOCK_CHART_PATH)).sort(),
      [...files.keys()].map((file) => `${PADDOCK_CHART_PATH}/${file}`).sort(),
    );
    for (const [file, text] of files) {
      assert.equal(readFileSync(join(repo.dir, PADDOCK_CHART_PATH, file), 'utf8'), text, file);
    }
  });

  it('the Application generated for paddock points at a valid chart in this repository', async () => {
    await repo.writeCatalog(CATALOG_ENTRIES);
    const [source, values] = paddockApplication().spec.sources;
    assert.ok(source && values);
    assert.equal(source.repoURL, REPO_URL, 'gitops:self became the repository');
    assert.equal(source.chart, undefined, 'a chart in git, not in a Helm repository');
    assert.equal(source.targetRevision, 'HEAD');
    assert.ok(source.path);
    const dir = join(repo.dir, source.path);
    // Chart.yaml: a Helm 3 chart named paddock with a version.
    const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8'));
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'paddock');
    assert.match(chart.version, /^\d+\.\d+\.\d+/);
    // values.yaml: a map.
    assert.equal(typeof parse(readFileSync(join(dir, 'values.yaml'), 'utf8')), 'object');
    // templates/: Helm templates of Paddock's objects.
    const templates = readdirSync(join(dir, 'templates'));
    assert.ok(templates.length > 10, templates.join(', '));
    assert.ok(templates.some((t) => /-deployment-controller\.yaml$/.test(t)));
    assert.ok(
      templates.every((t) => readFileSync(join(dir, 'templates', t), 'utf8').includes('$.Values.')),
    );
    // crds/: each a valid CustomResourceDefinition of paddock.dev, plain YAML (Helm does not
    // template crds/).
    const crds = readdirSync(join(dir, 'crds'));
    assert.ok(crds.includes('paddock.dev_sandboxes.yaml'), crds.join(', '));
    for (const file of crds) {
      const crd = parse(readFileSync(join(dir, 'crds', file), 'utf8'));
      new CustomResourceDefinition(crd).validate();
      assert.equal(crd.spec.group, 'paddock.dev');
    }
    // Its values come from the repository too: the entry's, then the user's overrides.
    assert.equal(values.repoURL, REPO_URL);
  });

  it('upgrade replaces an older chart in one commit and removes what the new one lacks', async () => {
    const path = join(repo.dir, PADDOCK_CHART_PATH);
    // An older chart: another version, a template since dropped, a CRD it did not have yet.
    writeFileSync(
      join(path, 'Chart.yaml'),
      readFileSync(join(path, 'Chart.yaml'), 'utf8').replace(/^version: .*$/m, 'version: 0.0.1'),
    );
    writeFileSync(join(path, 'templates', '99-configmap-old.yaml'), 'kind: ConfigMap\n');
    rmSync(join(path, 'crds', 'paddock.dev_runs.yaml'));
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'paddock: an older chart');
    const count = await commitCount();

    const result = await repo.upgradePaddockChart();
    assert.equal(result.committed, true);
    assert.match(
      result.message,
      /^paddock: chart \d+\.\d+\.\d+ \(paddock .+\) at charts\/paddock$/,
    );
    assert.equal(await commitCount(), count + 1, 'one commit');
    const changed = (await git('show', '--name-status', '--format=', 'HEAD')).trim().split('\n');
    assert.deepEqual(changed.sort(), [
      'A\tcharts/paddock/crds/paddock.dev_runs.yaml',
      'D\tcharts/paddock/templates/99-configmap-old.yaml',
      'M\tcharts/paddock/Chart.yaml',
    ]);
    assert.equal(existsSync(join(path, 'templates', '99-configmap-old.yaml')), false);

    const again = await repo.upgradePaddockChart();
    assert.equal(again.committed, false, 'up to date: no commit');
    assert.equal(await commitCount(), count + 1);
    assert.equal((await git('status', '--porcelain')).trim(), '');
  });

  it('follows the entry when the repository serves its chart from another path', async () => {
    const entries = CATALOG_ENTRIES.map(
      (entry): CatalogEntryInput =>
        entry.name === 'paddock' ? { ...entry, path: 'platform/paddock' } : entry,
    );
    await repo.writeCatalog(entries);
    await repo.upgradePaddockChart();
    assert.equal(paddockApplication().spec.sources[0]?.path, 'platform/paddock');
    assert.ok(existsSync(join(repo.dir, 'platform', 'paddock', 'Chart.yaml')));
  });

  it('init of an existing repository without the chart adds it with the bootstrap update', async () => {
    await git('rm', '-r', '--quiet', 'platform');
    await git('commit', '--quiet', '-m', 'remove the chart');
    const result = await repo.init();
    assert.equal(result.committed, true);
    assert.ok(existsSync(join(repo.dir, 'platform', 'paddock', 'Chart.yaml')));
    assert.equal((await repo.init()).committed, false);
  });

  it('refuses a chart path outside the repository or inside its generated folders', () => {
    for (const path of ['../paddock', '/charts/paddock', 'agents/paddock', 'catalog', 'a//b']) {
      const entry = { ...CATALOG_ENTRIES.find((e) => e.name === 'paddock'), path };
      assert.throws(
        () => paddockChartPath([entry as never]),
        (e) => isPaddockError(e, 'validation_failed'),
        path,
      );
    }
    assert.equal(paddockChartPath([]), 'charts/paddock');
  });
});
