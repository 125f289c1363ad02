import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxFiles } from '@paddock/core';
import { execInPod } from './exec-in-pod.ts';
import { type Fixture, POD, readBytes, startFixture } from './exec-test-support.ts';
import { podFiles } from './pod-files.ts';

const REF = { namespace: POD.namespace, name: POD.pod, uid: 'u1' };

// The stand-in runs commands on this machine, so the "pod's" roots are temporary directories
// given by absolute paths.
describe('podFiles through exec on the stand-in API server', () => {
  let fixture: Fixture;
  let dir: string;
  let workspace: string;
  let scratch: string;
  let files: SandboxFiles;
  before(async () => {
    fixture = await startFixture();
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'paddock-pod-files-')));
    workspace = join(dir, 'workspace');
    scratch = join(dir, 'tmp');
    mkdirSync(workspace);
    mkdirSync(scratch);
    writeFileSync(join(dir, 'secret'), 'outside');
    files = podFiles({
      roots: [workspace, scratch],
      run: (_ref, command) => execInPod(fixture.client, { ...POD, command, wrap: false }),
    });
  });
  after(async () => {
    await fixture?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes and reads bytes back, creating parents; new files are 0644, a mode is kept', async () => {
    const data = Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.alloc(1024 * 1024, 'x')]);
    await files.write(REF, `${workspace}/a/b/data.bin`, data);
    assert.deepEqual(Buffer.from(await files.read(REF, `${workspace}/a/b/data.bin`)), data);
    assert.equal(statSync(`${workspace}/a/b/data.bin`).mode & 0o777, 0o644);
    await files.write(REF, `${workspace}/key`, Buffer.from('k'), { mode: 0o600 });
    await files.write(REF, `${workspace}/key`, Buffer.from('k2'));
    assert.equal(statSync(`${workspace}/key`).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${workspace}/key`, 'utf8'), 'k2');
  });

  it('lists entries sorted with their kinds, hidden and odd names included; stat does not follow links', async () => {
    const listed = `${workspace}/listed`;
    mkdirSync(listed);
    writeFileSync(join(listed, 'b file'), '12345');
    writeFileSync(join(listed, '.hidden'), '');
    writeFileSync(join(listed, 'new\nline'), 'x');
    mkdirSync(join(listed, 'a-dir'));
    symlinkSync('b file', join(listed, 'link'));
    chmodSync(join(listed, 'b file'), 0o640);
    const entries = await files.list(REF, listed);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type]),
      [
        ['.hidden', 'file'],
        ['a-dir', 'directory'],
        ['b file', 'file'],
        ['link', 'symlink'],
        ['new\nline', 'file'],
      ],
    );
    const file = entries.find((e) => e.name === 'b file');
    assert.equal(file?.path, `${listed}/b file`);
    assert.equal(file?.sizeBytes, 5);
    assert.equal(file?.mode, 0o640);
    assert.ok(Math.abs(Date.parse(file?.modifiedAt ?? '') - Date.now()) < 60_000);
    assert.equal((await files.stat(REF, `${listed}/link`)).type, 'symlink');
    assert.deepEqual(await files.list(REF, `${listed}/a-dir`), []);
  });

  it('makes directories, moves and removes, keeping the roots', async () => {
    await files.mkdir(REF, `${scratch}/m/n`);
    await files.write(REF, `${scratch}/m/n/f`, Buffer.from('f'));
    await assert.rejects(files.remove(REF, `${scratch}/m`), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await files.move(REF, `${scratch}/m`, `${workspace}/moved`);
    assert.equal(readFileSync(`${workspace}/moved/n/f`, 'utf8'), 'f');
    await files.remove(REF, `${workspace}/moved`, { recursive: true });
    await assert.rejects(files.stat(REF, `${workspace}/moved`), (e) =>
      isPaddockError(e, 'not_found'),
    );
    await assert.rejects(files.remove(REF, workspace, { recursive: true }), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
  });

  it('refuses paths that leave the roots: by .. before any exec, by a symlink inside the pod', async () => {
    const sessions = fixture.standIn.sessions.length;
    await assert.rejects(files.read(REF, `${workspace}/../secret`), (e) =>
      isPaddockError(e, 'path_outside_sandbox'),
    );
    await assert.rejects(files.read(REF, 'relative/path'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    assert.equal(fixture.standIn.sessions.length, sessions, 'nothing ran in the pod');
    symlinkSync(dir, `${workspace}/escape`);
    await assert.rejects(files.read(REF, `${workspace}/escape/secret`), (e) =>
      isPaddockError(e, 'path_outside_sandbox'),
    );
    await assert.rejects(files.write(REF, `${workspace}/escape/planted`, Buffer.from('x')), (e) =>
      isPaddockError(e, 'path_outside_sandbox'),
    );
    await assert.rejects(files.read(REF, `${workspace}/missing`), (e) =>
      isPaddockError(e, 'not_found'),
    );
    await assert.rejects(files.read(REF, workspace), (e) => isPaddockError(e, 'validation_failed'));
  });

  it('uploads and downloads tar archives; refuses .. members and what is no archive', async () => {
    const source = join(dir, 'source');
    mkdirSync(join(source, 'tree/sub'), { recursive: true });
    writeFileSync(join(source, 'tree/sub/one.txt'), 'one');
    const archive = spawnSync('tar', ['-c', '-f', '-', '-C', source, 'tree']).stdout;
    await files.upload(REF, `${workspace}/up`, streamOf(archive));
    assert.equal(readFileSync(`${workspace}/up/tree/sub/one.txt`, 'utf8'), 'one');

    const downloaded = await readBytes(await files.download(REF, `${workspace}/up/tree`));
    const listing = spawnSync('tar', ['-t', '-f', '-'], { input: downloaded }).stdout.toString();
    assert.deepEqual(listing.trim().split('\n').sort(), ['tree/', 'tree/sub/', 'tree/sub/one.txt']);

    const evil = spawnSync('tar', ['-c', '-f', '-', '-P', '-C', workspace, '../secret']).stdout;
    await assert.rejects(files.upload(REF, `${workspace}/up`, streamOf(evil)), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await assert.rejects(
      files.upload(REF, `${workspace}/up`, streamOf(Buffer.from('no tar at all'.repeat(100)))),
      (e) => isPaddockError(e, 'validation_failed'),
    );
    await assert.rejects(files.download(REF, `${workspace}/nothing`), (e) =>
      isPaddockError(e, 'not_found'),
    );
  });

  it('says runtime_unavailable when the image lacks GNU realpath', async () => {
    const shims = join(dir, 'shims');
    mkdirSync(shims);
    writeFileSync(
      join(shims, 'realpath'),
      '#!/bin/sh\necho "realpath: unrecognized option" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const bare = podFiles({
      roots: [workspace],
      run: (_ref, command) =>
        execInPod(fixture.client, {
          ...POD,
          command,
          env: { PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}` },
        }),
    });
    await assert.rejects(
      bare.read(REF, `${workspace}/key`),
      (e) => isPaddockError(e, 'runtime_unavailable') && /coreutils/.test(e.message),
    );
  });
});

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
