// `paddock app enable|disable paddock` through the real CLI where the handover cannot run: each
// refusal comes before the commit, names why and what to do, and leaves the repository as it was.
// (The handover itself runs against the test API server in @paddock/gitops' paddock-handover.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CATALOG_ENTRIES,
  GitopsRepo,
  IN_CLUSTER_REPO_URL,
  processRunner,
  repositoryDir,
  runGit,
  type Session,
  writeSession,
} from '@paddock/gitops';
import { runCliInProcess } from '../test-cli.ts';
import { keepPaddockWhereUnreachable, paddockChange } from './app-paddock.ts';

const home = mkdtempSync(join(tmpdir(), 'cli-app-paddock-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** `paddock ARGS --home HOME` run in this process by the real CLI, its output collected. */
const cli = (...args: string[]) =>
  runCliInProcess([...args, '--home', home], { ...process.env, NO_COLOR: '1' });

function sessionOf(name: string, state: Session['state'], repository: string): Session {
  return {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterSession',
    name,
    mode: 'existing',
    state,
    createdAt: '2026-12-07T05:00:00.000Z',
    updatedAt: '2026-12-07T05:00:00.000Z',
    nodeCount: 1,
    kubeconfig: join(home, 'nowhere', 'kubeconfig'),
    ports: {},
    urls: { api: 'https://127.0.0.1:6551', repository },
    credentials: {},
    bootstrap: { version: '0.1.0' },
  };
}

async function clusterWithPaddock(name: string, enabled: boolean, session: Session) {
  writeSession(home, session);
  const repo = new GitopsRepo({
    dir: repositoryDir(home, name),
    runner: processRunner(),
    settings: { repoURL: session.urls.repository ?? IN_CLUSTER_REPO_URL },
  });
  await repo.init();
  await repo.writeCatalog(
    CATALOG_ENTRIES.map((e) => (e.name === 'paddock' ? { ...e, enabled } : e)),
  );
  return async () => (await runGit(processRunner(), repo.dir, ['rev-parse', 'HEAD'])).stdout;
}

describe('paddock app enable|disable paddock', () => {
  it('tells an enable and a disable of the paddock entry from other changes', () => {
    const on = [{ name: 'paddock', enabled: true }];
    const off = [{ name: 'paddock', enabled: false }];
    assert.equal(paddockChange(off, on), 'enable');
    assert.equal(paddockChange(on, off), 'disable');
    assert.equal(paddockChange(on, on), undefined);
    assert.equal(paddockChange([], [{ name: 'litellm', enabled: true }]), undefined);
  });

  it('a profile keeps the entry disabled where Argo CD cannot reach the repository', () => {
    const off = [
      { name: 'paddock', enabled: false },
      { name: 'litellm', enabled: false },
    ];
    const on = [
      { name: 'paddock', enabled: true },
      { name: 'litellm', enabled: true },
    ];
    assert.deepEqual(keepPaddockWhereUnreachable(off, on, false), {
      entries: [
        { name: 'paddock', enabled: false },
        { name: 'litellm', enabled: true },
      ],
      isKept: true,
    });
    assert.deepEqual(keepPaddockWhereUnreachable(off, on, true), { entries: on, isKept: false });
    assert.deepEqual(keepPaddockWhereUnreachable(on, on, false), { entries: on, isKept: false });
  });

  it('refuses to enable it where Argo CD cannot reach the repository, committing nothing', async () => {
    const head = await clusterWithPaddock(
      'lab',
      false,
      sessionOf('lab', 'running', IN_CLUSTER_REPO_URL),
    );
    const before = await head();
    const result = await cli('app', 'enable', 'paddock', '--cluster-name', 'lab');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Argo CD cannot deploy Paddock on cluster lab/);
    assert.match(result.stderr, /--repo-url URL/);
    assert.equal(await head(), before);
  });

  it('refuses to disable it while the cluster is stopped, committing nothing', async () => {
    const head = await clusterWithPaddock(
      'edge',
      true,
      sessionOf('edge', 'stopped', 'https://git.example.com/edge/gitops.git'),
    );
    const before = await head();
    const result = await cli('app', 'disable', 'paddock', '--cluster-name', 'edge');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /hands it to paddock install, which needs the cluster/);
    assert.match(result.stderr, /paddock cluster start edge/);
    assert.equal(await head(), before);
    // Another entry is no handover: it commits as before.
    const other = await cli('app', 'enable', 'qdrant', '--cluster-name', 'edge');
    assert.equal(other.code, 0, other.stderr);
    assert.notEqual(await head(), before);
  });
});
