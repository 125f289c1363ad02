import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, MAX_FILE_READ_BYTES, type SandboxFiles } from '@paddock/core';
import { eventually } from '@paddock/testkit';
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

  it('answers a fifo with validation_failed instead of hanging read or write, even one swapped in after the check', {
    timeout: 30_000,
  }, async () => {
    // Without the check, `cat` blocks opening the fifo and the exec never ends (the test's
    // timeout fails it).
    const fifos = `${workspace}/fifos`;
    mkdirSync(fifos);
    assert.equal(spawnSync('mkfifo', [`${fifos}/fifo`]).status, 0);
    symlinkSync('fifo', `${fifos}/to-fifo`);
    for (const path of [`${fifos}/fifo`, `${fifos}/to-fifo`]) {
      for (const call of [
        () => files.read(REF, path),
        () => files.write(REF, path, Buffer.from('x')),
      ]) {
        await assert.rejects(call(), (e) => {
          assert.ok(isPaddockError(e, 'validation_failed'), String(e));
          assert.match(e.message, /not a regular file/);
          return true;
        });
      }
    }
    // `target` is, in turn and atomically (rename), a hard link of a regular file and of the
    // fifo: the calls open it without blocking, so a swap after the check cannot hang them.
    writeFileSync(`${fifos}/regular`, 'content');
    const swapper = spawn('perl', [
      '-e',
      'chdir shift; while (1) { for my $f ("fifo", "regular") { link $f, "t"; rename "t", "target" } }',
      fifos,
    ]);
    try {
      const outcomes = new Set<string>();
      for (let i = 0; i < 40; i++) {
        // A fifo swapped in after the check reads as what it holds: nothing (no writer); met
        // after the regular file was sized, fewer bytes than sized: `conflict`, never cut short.
        const read = await files
          .read(REF, `${fifos}/target`)
          .then((bytes) => Buffer.from(bytes).toString('utf8'), refused);
        assert.ok(['content', '', 'refused', 'changed'].includes(read), `read answered ${read}`);
        outcomes.add(`read ${read}`);
        const wrote = await files
          .write(REF, `${fifos}/target`, Buffer.from('content'))
          .then(() => 'written', refused);
        outcomes.add(`write ${wrote}`);
      }
      assert.ok(
        outcomes.has('read refused') || outcomes.has('write refused'),
        [...outcomes].join(),
      );
    } finally {
      swapper.kill('SIGKILL');
      await once(swapper, 'close');
    }
  });

  it(`refuses to read past ${MAX_FILE_READ_BYTES} bytes as payload_too_large naming the limit`, async () => {
    const sparse = `${workspace}/sparse`;
    writeFileSync(sparse, '');
    truncateSync(sparse, 100 * 1024 ** 3);
    const tooLarge = (e: unknown) => {
      assert.ok(isPaddockError(e, 'payload_too_large'), String(e));
      assert.match(e.message, new RegExp(`larger than ${MAX_FILE_READ_BYTES} bytes`));
      assert.equal((e.details as { limitBytes?: number }).limitBytes, MAX_FILE_READ_BYTES);
      return true;
    };
    await assert.rejects(files.read(REF, sparse), tooLarge);
    // An image whose PATH leads to another `dd` that ignores the script's bound: an answer
    // longer than the size the script printed is refused, never passed on.
    const shims = join(dir, 'dd-shims');
    mkdirSync(shims);
    writeFileSync(
      join(shims, 'dd'),
      `#!/bin/sh\nexec head -c ${MAX_FILE_READ_BYTES + 4096} /dev/zero\n`,
      { mode: 0o755 },
    );
    const shadowed = podFiles({
      roots: [workspace],
      run: (_ref, command) =>
        execInPod(fixture.client, {
          ...POD,
          command,
          env: { PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}` },
        }),
    });
    const tooLong = (e: unknown) => {
      assert.ok(isPaddockError(e, 'internal'), String(e));
      assert.match(e.message, /answered more than the \d+ bytes the file holds/);
      return true;
    };
    await assert.rejects(shadowed.read(REF, `${workspace}/key`), tooLong);
    const streamed = await shadowed.readStream(REF, `${workspace}/key`);
    await assert.rejects(streamed.stream.pipeTo(new WritableStream()), tooLong);
  });

  it('ends the command in the pod when a read or a download is cancelled, instead of reading on', async () => {
    // 100 GiB (sparse): read to its end, it would keep the command running far past the test.
    const endless = `${workspace}/endless`;
    mkdirSync(endless);
    writeFileSync(`${endless}/zeros`, '');
    truncateSync(`${endless}/zeros`, 100 * 1024 ** 3);
    const read = async () => (await files.readStream(REF, `${endless}/zeros`)).stream;
    for (const open of [read, () => files.download(REF, endless)]) {
      const reader = (await open()).getReader();
      assert.ok(((await reader.read()).value?.byteLength ?? 0) > 0);
      assert.equal(fixture.standIn.running().length, 1);
      await reader.cancel();
      await eventually(() => fixture.standIn.running().length === 0, {
        what: 'the command in the pod ended',
        timeoutMs: 5000,
      });
    }
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

/**
 * `refused` for `validation_failed` (what is not a regular file), `changed` for `conflict` (a
 * read that met the fifo after sizing the file); anything else rethrown.
 */
function refused(error: unknown): string {
  if (isPaddockError(error, 'validation_failed')) return 'refused';
  if (isPaddockError(error, 'conflict')) return 'changed';
  throw error;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
