import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode } from '@paddock/core';
import type { RuntimeGroup } from './runtime-contract.ts';
import { collect, decode, encode, entries, streamOf } from './runtime-fixtures.ts';
import { assertRejectsWith } from './store-fixtures.ts';
import { decodeTar, encodeTar, type TarEntry } from './tar-archive.ts';

const archive = (items: TarEntry[]) => streamOf(encodeTar(items));

/** Files: confined to the sandbox's writable roots (`/workspace`, `/tmp`, its home). */
export function filesCases(group: RuntimeGroup): void {
  group('files', {}, (test) => {
    test('writes, reads, stats and lists files', async ({ runtime, shared }) => {
      const ref = await shared();
      const { files } = runtime;
      const binary = new Uint8Array([0, 1, 2, 255, 10, 13, 0]);
      await files.write(ref, '/workspace/dir/sub/data.bin', binary);
      assert.deepEqual(await files.read(ref, '/workspace/dir/sub/data.bin'), binary);
      await files.write(ref, '/workspace/dir/run.sh', encode('#!/bin/sh\necho ran\n'), {
        mode: 0o755,
      });
      const info = await files.stat(ref, '/workspace/dir/run.sh');
      assert.deepEqual(
        [info.type, info.name, info.path, info.mode, info.sizeBytes],
        ['file', 'run.sh', '/workspace/dir/run.sh', 0o755, 19],
      );
      assert.ok(Math.abs(Date.parse(info.modifiedAt) - Date.now()) < 60_000, info.modifiedAt);
      await files.write(ref, '/workspace/dir/plain.txt', encode('a longer first version'));
      await files.write(ref, '/workspace/dir/plain.txt', encode('short'));
      assert.equal(decode(await files.read(ref, '/workspace/dir/plain.txt')), 'short');
      assert.equal((await files.stat(ref, '/workspace/dir/plain.txt')).mode, 0o644);
      assert.equal((await files.stat(ref, '/workspace/dir')).type, 'directory');
      assert.equal((await files.stat(ref, '/workspace')).type, 'directory');
      assert.deepEqual(entries(await files.list(ref, '/workspace/dir/')), [
        ['plain.txt', 'file', '/workspace/dir/plain.txt'],
        ['run.sh', 'file', '/workspace/dir/run.sh'],
        ['sub', 'directory', '/workspace/dir/sub'],
      ]);
      await files.write(ref, '/tmp/t.txt', encode('tmp'));
      assert.equal(decode(await files.read(ref, '/tmp/t.txt')), 'tmp');
      assert.deepEqual(await files.read(ref, '/workspace/./dir/../dir/sub/data.bin'), binary);

      await assertRejectsWith(files.read(ref, '/workspace/missing'), ErrorCode.NotFound);
      await assertRejectsWith(files.stat(ref, '/workspace/missing'), ErrorCode.NotFound);
      await assertRejectsWith(files.list(ref, '/workspace/missing'), ErrorCode.NotFound);
      await assertRejectsWith(files.read(ref, '/workspace/dir'), ErrorCode.ValidationFailed);
      await assertRejectsWith(files.list(ref, '/workspace/dir/run.sh'), ErrorCode.ValidationFailed);
      await assertRejectsWith(
        files.write(ref, '/workspace/dir', encode('x')),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        files.write(ref, '/workspace/dir/run.sh/x', encode('x')),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        files.write(ref, '/workspace/bad-mode', encode('x'), { mode: 0o10000 }),
        ErrorCode.ValidationFailed,
      );
    });

    test('makes directories, moves and removes', async ({ runtime, shared }) => {
      const ref = await shared();
      const { files } = runtime;
      await files.mkdir(ref, '/workspace/a/b/c');
      await files.mkdir(ref, '/workspace/a/b/c');
      assert.equal((await files.stat(ref, '/workspace/a/b/c')).type, 'directory');
      await files.write(ref, '/workspace/a/b/c/f.txt', encode('x'));
      await assertRejectsWith(
        files.mkdir(ref, '/workspace/a/b/c/f.txt'),
        ErrorCode.ValidationFailed,
      );
      await files.move(ref, '/workspace/a/b/c/f.txt', '/workspace/moved/g.txt');
      assert.equal(decode(await files.read(ref, '/workspace/moved/g.txt')), 'x');
      await assertRejectsWith(files.read(ref, '/workspace/a/b/c/f.txt'), ErrorCode.NotFound);
      await files.move(ref, '/workspace/a/b', '/workspace/renamed');
      assert.deepEqual(entries(await files.list(ref, '/workspace/renamed')), [
        ['c', 'directory', '/workspace/renamed/c'],
      ]);
      await assertRejectsWith(
        files.move(ref, '/workspace/nope', '/workspace/x'),
        ErrorCode.NotFound,
      );
      await assertRejectsWith(files.move(ref, '/workspace', '/tmp/w'), ErrorCode.ValidationFailed);

      await assertRejectsWith(files.remove(ref, '/workspace/moved'), ErrorCode.ValidationFailed);
      await files.remove(ref, '/workspace/moved/g.txt');
      await files.remove(ref, '/workspace/moved');
      await files.remove(ref, '/workspace/renamed', { recursive: true });
      await files.remove(ref, '/workspace/a', { recursive: true });
      await assertRejectsWith(files.stat(ref, '/workspace/renamed/c'), ErrorCode.NotFound);
      await assertRejectsWith(files.remove(ref, '/workspace/a'), ErrorCode.NotFound);
      await assertRejectsWith(
        files.remove(ref, '/workspace', { recursive: true }),
        ErrorCode.ValidationFailed,
      );
      assert.equal((await files.stat(ref, '/workspace')).type, 'directory');
    });

    test('uploads and downloads tar archives', async ({ runtime, shared }) => {
      const ref = await shared();
      const { files } = runtime;
      await files.upload(
        ref,
        '/workspace/up',
        archive([
          { path: 'tree', type: 'directory' },
          { path: 'tree/one.txt', type: 'file', data: encode('one') },
          { path: 'tree/nested/two.txt', type: 'file', data: encode('two'), mode: 0o600 },
          { path: 'tree/link', type: 'symlink', target: 'one.txt' },
          { path: '/absolute.txt', type: 'file', data: encode('abs') },
        ]),
      );
      assert.equal(decode(await files.read(ref, '/workspace/up/tree/nested/two.txt')), 'two');
      assert.equal((await files.stat(ref, '/workspace/up/tree/nested/two.txt')).mode, 0o600);
      assert.equal((await files.stat(ref, '/workspace/up/tree/link')).type, 'symlink');
      assert.equal(decode(await files.read(ref, '/workspace/up/tree/link')), 'one');
      assert.equal(
        decode(await files.read(ref, '/workspace/up/absolute.txt')),
        'abs',
        'member paths are relative to the target, leading / or not',
      );

      const tree = decodeTar(await collect(await files.download(ref, '/workspace/up/tree')));
      const summary = tree
        .map((e) =>
          e.type === 'file'
            ? `${e.path} = ${decode(e.data)}`
            : e.type === 'symlink'
              ? `${e.path} -> ${e.target}`
              : `${e.path}/`,
        )
        .sort();
      assert.deepEqual(summary, [
        'tree/',
        'tree/link -> one.txt',
        'tree/nested/',
        'tree/nested/two.txt = two',
        'tree/one.txt = one',
      ]);
      const single = decodeTar(
        await collect(await files.download(ref, '/workspace/up/absolute.txt')),
      );
      assert.deepEqual(
        single.map((e) => e.path),
        ['absolute.txt'],
      );
      await assertRejectsWith(files.download(ref, '/workspace/nope'), ErrorCode.NotFound);
      await assertRejectsWith(
        files.upload(ref, '/workspace/not-tar', streamOf(encode('not a tar archive\n'.repeat(64)))),
        ErrorCode.ValidationFailed,
      );
    });

    test('streams a file of several MiB byte-exact, refusals before the first byte', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const { files } = runtime;
      const data = new Uint8Array(randomBytes(5 * 1024 * 1024 + 123));
      await files.write(ref, '/workspace/streamed/big.bin', data);
      const read = await files.readStream(ref, '/workspace/streamed/big.bin');
      assert.equal(read.sizeBytes, data.byteLength);
      const hash = createHash('sha256');
      let chunks = 0;
      let bytes = 0;
      for await (const chunk of read.stream) {
        hash.update(chunk);
        chunks += 1;
        bytes += chunk.byteLength;
      }
      assert.equal(bytes, data.byteLength);
      assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
      assert.ok(chunks > 1, `the file came in ${chunks} chunk(s), not streamed`);

      await files.write(ref, '/workspace/streamed/empty', new Uint8Array(0));
      const empty = await files.readStream(ref, '/workspace/streamed/empty');
      assert.equal(empty.sizeBytes, 0);
      assert.equal((await collect(empty.stream)).byteLength, 0);

      // A reader that stops early cancels the read; the next one is whole.
      const first = await files.readStream(ref, '/workspace/streamed/big.bin');
      const reader = first.stream.getReader();
      assert.ok(((await reader.read()).value?.byteLength ?? 0) > 0);
      await reader.cancel();
      const again = await files.readStream(ref, '/workspace/streamed/big.bin');
      assert.equal((await collect(again.stream)).byteLength, data.byteLength);

      const outside = ErrorCode.PathOutsideSandbox;
      await files.upload(
        ref,
        '/workspace/streamed',
        archive([{ path: 'passwd', type: 'symlink', target: '/etc/passwd' }]),
      );
      for (const [path, code] of [
        ['/workspace/streamed/missing', ErrorCode.NotFound],
        ['/workspace/streamed', ErrorCode.ValidationFailed],
        ['streamed/big.bin', ErrorCode.ValidationFailed],
        ['/etc/passwd', outside],
        ['/workspace/../etc/passwd', outside],
        ['/workspace/streamed/passwd', outside],
      ] as const) {
        await assertRejectsWith(files.readStream(ref, path), code);
      }
    });

    test('a read and an archive download error when the sandbox stops midway', async ({
      runtime,
      fresh,
    }) => {
      const ref = await fresh();
      const { files } = runtime;
      const data = new Uint8Array(randomBytes(8 * 1024 * 1024));
      await files.write(ref, '/workspace/big.bin', data);
      const read = (await files.readStream(ref, '/workspace/big.bin')).stream.getReader();
      const archive = (await files.download(ref, '/workspace')).getReader();
      for (const reader of [read, archive])
        assert.ok(((await reader.read()).value?.byteLength ?? 0) > 0);
      await runtime.stop(ref);
      for (const [reader, what] of [
        [read, 'a read'],
        [archive, 'an archive'],
      ] as const) {
        await assert.rejects(async () => {
          for (;;) if ((await reader.read()).done) return;
        }, `${what} cut by the stop ended as if whole`);
      }
    });

    test('refuses paths that leave the sandbox through ..', async ({ runtime, shared }) => {
      const ref = await shared();
      const { files } = runtime;
      const outside = ErrorCode.PathOutsideSandbox;
      await files.write(ref, '/workspace/inside.txt', encode('in'));
      await assertRejectsWith(files.read(ref, '/etc/passwd'), outside);
      await assertRejectsWith(files.read(ref, '/workspace/../etc/passwd'), outside);
      await assertRejectsWith(files.stat(ref, '/workspace/../../etc/passwd'), outside);
      await assertRejectsWith(files.list(ref, '/'), outside);
      await assertRejectsWith(files.list(ref, '/workspace/..'), outside);
      await assertRejectsWith(files.write(ref, '/usr/bin/evil', encode('x')), outside);
      await assertRejectsWith(files.write(ref, '/workspace/a/../../etc/x', encode('x')), outside);
      await assertRejectsWith(files.mkdir(ref, '/workspace/../opt/x'), outside);
      await assertRejectsWith(files.move(ref, '/workspace/inside.txt', '/workspace/../x'), outside);
      await assertRejectsWith(files.move(ref, '/etc/hostname', '/workspace/h'), outside);
      await assertRejectsWith(files.remove(ref, '/workspace/../etc/hostname'), outside);
      await assertRejectsWith(files.download(ref, '/workspace/../etc'), outside);
      await assertRejectsWith(files.upload(ref, '/workspace/../etc', archive([])), outside);
      await assertRejectsWith(files.read(ref, 'workspace/inside.txt'), ErrorCode.ValidationFailed);

      await assertRejectsWith(
        files.upload(
          ref,
          '/workspace/inner',
          archive([{ path: '../escaped.txt', type: 'file', data: encode('x') }]),
        ),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(files.stat(ref, '/workspace/escaped.txt'), ErrorCode.NotFound);
      assert.equal(decode(await files.read(ref, '/workspace/inside.txt')), 'in');
    });

    test('refuses symlinks that point out of the sandbox', async ({ runtime, shared }) => {
      const ref = await shared();
      const { files } = runtime;
      const outside = ErrorCode.PathOutsideSandbox;
      await files.upload(
        ref,
        '/workspace/links',
        archive([
          { path: 'root', type: 'symlink', target: '/' },
          { path: 'etc', type: 'symlink', target: '/etc' },
          { path: 'passwd', type: 'symlink', target: '/etc/passwd' },
          { path: 'up', type: 'symlink', target: '../../etc' },
        ]),
      );
      for (const path of [
        '/workspace/links/root/etc/passwd',
        '/workspace/links/etc/passwd',
        '/workspace/links/passwd',
        '/workspace/links/up/passwd',
      ]) {
        await assertRejectsWith(files.read(ref, path), outside, (e) =>
          assert.match(e.message, /outside/),
        );
      }
      await assertRejectsWith(files.list(ref, '/workspace/links/root'), outside);
      await assertRejectsWith(files.list(ref, '/workspace/links/etc'), outside);
      await assertRejectsWith(files.stat(ref, '/workspace/links/etc/passwd'), outside);
      await assertRejectsWith(files.write(ref, '/workspace/links/etc/x', encode('x')), outside);
      await assertRejectsWith(files.write(ref, '/workspace/links/passwd', encode('x')), outside);
      await assertRejectsWith(files.mkdir(ref, '/workspace/links/root/tmp2'), outside);
      await assertRejectsWith(files.remove(ref, '/workspace/links/etc/hostname'), outside);
      await assertRejectsWith(
        files.move(ref, '/workspace/links/etc/hostname', '/workspace/h'),
        outside,
      );
      await assertRejectsWith(files.upload(ref, '/workspace/links/etc', archive([])), outside);
      await assertRejectsWith(files.download(ref, '/workspace/links/etc'), outside);

      // The links themselves live in the workspace: they may be inspected and removed.
      const listed = await files.list(ref, '/workspace/links');
      assert.deepEqual(
        listed.map((f) => [f.name, f.type]),
        [
          ['etc', 'symlink'],
          ['passwd', 'symlink'],
          ['root', 'symlink'],
          ['up', 'symlink'],
        ],
      );
      assert.equal((await files.stat(ref, '/workspace/links/root')).type, 'symlink');
      await files.remove(ref, '/workspace/links/etc');
      await assertRejectsWith(files.stat(ref, '/workspace/links/etc'), ErrorCode.NotFound);
    });
  });
}
