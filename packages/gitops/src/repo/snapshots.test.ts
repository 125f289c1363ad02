// Snapshots over real git: capture, list, restore byte for byte (session file, HEAD, every
// tracked file), delete.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { runGit } from './command-runner.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { Snapshots } from './snapshots.ts';
import { spawnRunner } from './spawn-runner.ts';

describe('Snapshots', () => {
  let clusterDir: string;
  let repo: GitopsRepo;
  let snapshots: Snapshots;
  let clock = Date.parse('2026-12-06T10:00:00Z');
  const session = () => join(clusterDir, 'session.yaml');

  /** HEAD, and every tracked file with its bytes. */
  async function state(): Promise<{ head: string; files: Record<string, string> }> {
    const files: Record<string, string> = {};
    const listed = (await runGit(spawnRunner, repo.dir, ['ls-files', '-z'])).stdout;
    for (const file of listed.split('\0').filter((f) => f !== '')) {
      files[file] = readFileSync(join(repo.dir, file)).toString('base64');
    }
    return { head: await repo.head(), files };
  }

  before(async () => {
    clusterDir = mkdtempSync(join(tmpdir(), 'paddock-snap-'));
    repo = new GitopsRepo({
      dir: join(clusterDir, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: 'git://gitops/gitops' },
    });
    snapshots = new Snapshots({
      clusterDir,
      runner: spawnRunner,
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    });
    await repo.init();
    await repo.addAgent('team-a');
  });
  after(() => rmSync(clusterDir, { recursive: true, force: true }));

  it('round-trips the session file and the repository byte for byte', async () => {
    // Bytes YAML tools would not keep: a BOM, CRLF, trailing spaces, no final newline, non-UTF-8.
    const sessionBytes = Buffer.concat([
      Buffer.from('\uFEFFstate: running \r\nports:\r\n  http: 8080'),
      Buffer.from([0xff, 0xfe, 0x00]),
    ]);
    writeFileSync(session(), sessionBytes);
    await repo.setInfra('cilium', { hubble: { ui: { enabled: false } } });
    const captured = await state();
    const info = await snapshots.capture('before-upgrade');
    assert.equal(info.head, captured.head);
    assert.equal(info.branch, 'main');

    // Everything changes afterwards: the session, new commits, an agent removed.
    writeFileSync(session(), 'state: stopped\n');
    await repo.removeAgent('team-a');
    await repo.addApp({ name: 'x', repoURL: 'https://x', chart: 'x', targetRevision: '1' });
    assert.notEqual((await state()).head, captured.head);

    await snapshots.restore('before-upgrade');
    assert.deepEqual(readFileSync(session()), sessionBytes);
    assert.deepEqual(await state(), captured);
    assert.equal((await runGit(spawnRunner, repo.dir, ['status', '--porcelain'])).stdout, '');
    // The restored repository takes mutations again.
    assert.equal((await repo.addAgent('team-b')).committed, true);
  });

  it('restores a repository that is gone', async () => {
    const captured = await state();
    writeFileSync(session(), 'state: running\n');
    await snapshots.capture('second');
    rmSync(repo.dir, { recursive: true, force: true });
    await snapshots.restore('second');
    assert.deepEqual(await state(), captured);
    assert.equal(readFileSync(session(), 'utf8'), 'state: running\n');
  });

  it('lists, refuses duplicates and bad names, and deletes', async () => {
    assert.deepEqual(
      (await snapshots.list()).map((s) => s.name),
      ['before-upgrade', 'second'],
    );
    await assert.rejects(snapshots.capture('second'), (e) => isPaddockError(e, 'already_exists'));
    await assert.rejects(snapshots.capture('../x'), (e) => isPaddockError(e, 'validation_failed'));
    await assert.rejects(snapshots.restore('missing'), (e) => isPaddockError(e, 'not_found'));
    await snapshots.delete('before-upgrade');
    assert.deepEqual(
      (await snapshots.list()).map((s) => s.name),
      ['second'],
    );
    await assert.rejects(snapshots.delete('before-upgrade'), (e) => isPaddockError(e, 'not_found'));
  });

  it('refuses a damaged snapshot', async () => {
    writeFileSync(join(clusterDir, 'snapshots', 'second', 'session.yaml'), 'tampered\n');
    await assert.rejects(snapshots.restore('second'), (e) => isPaddockError(e, 'internal'));
  });
});
