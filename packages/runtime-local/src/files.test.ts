import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import {
  createTestWorld,
  readText,
  run,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

async function bytes(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('files', { skip: skipReason }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = await world.provision();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('writes, reads, stats and lists files as the sandbox user', async () => {
    const { files } = world.runtime;
    const binary = new Uint8Array([0, 1, 2, 255, 10, 13, 0]);
    await files.write(ref, '/workspace/dir/sub/data.bin', binary);
    assert.deepEqual(await files.read(ref, '/workspace/dir/sub/data.bin'), binary);
    await files.write(ref, '/workspace/dir/run.sh', encode('#!/bin/sh\necho ran\n'), {
      mode: 0o755,
    });
    assert.equal((await run(world.runtime, ref, ['/workspace/dir/run.sh'])).stdout, 'ran\n');

    const info = await files.stat(ref, '/workspace/dir/run.sh');
    assert.equal(info.type, 'file');
    assert.equal(info.name, 'run.sh');
    assert.equal(info.path, '/workspace/dir/run.sh');
    assert.equal(info.mode, 0o755);
    assert.equal(info.sizeBytes, 19);
    assert.ok(!Number.isNaN(Date.parse(info.modifiedAt)));
    assert.equal((await files.stat(ref, '/workspace')).type, 'directory');

    const listing = await files.list(ref, '/workspace/dir');
    assert.deepEqual(
      listing.map((f) => [f.name, f.type, f.path]),
      [
        ['run.sh', 'file', '/workspace/dir/run.sh'],
        ['sub', 'directory', '/workspace/dir/sub'],
      ],
    );
    const owner = await sh(world.runtime, ref, 'stat -c %u:%g /workspace/dir/run.sh');
    assert.equal(owner.stdout, '1000:1000\n');
    await files.write(ref, '/tmp/t.txt', encode('tmp'));
    await files.write(ref, '/home/user/.profile', encode('home'));
    assert.equal(decode(await files.read(ref, '/home/user/.profile')), 'home');
  });

  it('makes directories, moves and removes', async () => {
    const { files } = world.runtime;
    await files.mkdir(ref, '/workspace/a/b/c');
    await files.mkdir(ref, '/workspace/a/b/c');
    await files.write(ref, '/workspace/a/b/c/f.txt', encode('x'));
    await files.move(ref, '/workspace/a/b/c/f.txt', '/workspace/a/g.txt');
    assert.equal(decode(await files.read(ref, '/workspace/a/g.txt')), 'x');
    await assert.rejects(files.read(ref, '/workspace/a/b/c/f.txt'), (e) =>
      isPaddockError(e, 'not_found'),
    );
    await assert.rejects(files.remove(ref, '/workspace/a'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await files.remove(ref, '/workspace/a/g.txt');
    await files.remove(ref, '/workspace/a', { recursive: true });
    await assert.rejects(files.stat(ref, '/workspace/a'), (e) => isPaddockError(e, 'not_found'));
    await assert.rejects(files.remove(ref, '/workspace/a'), (e) => isPaddockError(e, 'not_found'));
    await assert.rejects(files.remove(ref, '/workspace'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await assert.rejects(files.read(ref, '/workspace'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await assert.rejects(files.list(ref, '/workspace/missing'), (e) =>
      isPaddockError(e, 'not_found'),
    );
  });

  it('round-trips tar archives', async () => {
    const { files } = world.runtime;
    await files.write(ref, '/workspace/tree/one.txt', encode('one'));
    await files.write(ref, '/workspace/tree/nested/two.txt', encode('two'));
    const archive = await bytes(await files.download(ref, '/workspace/tree'));
    assert.ok(archive.byteLength >= 1024);
    const upload = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(archive));
        controller.close();
      },
    });
    await files.upload(ref, '/tmp/restored', upload);
    assert.equal(decode(await files.read(ref, '/tmp/restored/tree/nested/two.txt')), 'two');
    const single = await bytes(await files.download(ref, '/workspace/tree/one.txt'));
    const listing = await run(world.runtime, ref, ['tar', '-t', '-f', '-'], {
      stdin: single.toString('latin1'),
    });
    assert.equal(listing.stdout.trim(), 'one.txt');
    await assert.rejects(files.download(ref, '/workspace/nope'), (e) =>
      isPaddockError(e, 'not_found'),
    );
  });

  it('refuses an archive tar cannot extract as validation_failed naming the archive', async () => {
    const { files } = world.runtime;
    const notTar = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode('not a tar archive\n'.repeat(64)));
        controller.close();
      },
    });
    await assert.rejects(files.upload(ref, '/workspace/not-tar', notTar), (e) => {
      assert.ok(isPaddockError(e, 'validation_failed'), String(e));
      assert.match(e.message, /does not look like a tar archive/);
      assert.deepEqual(
        (e.details as { issues?: { path: string }[] }).issues?.map((i) => i.path),
        ['archive'],
      );
      return true;
    });
  });

  it('rejects paths outside the writable roots, lexically and through symlinks', async () => {
    const { files } = world.runtime;
    const outside = (e: unknown) => isPaddockError(e, 'path_outside_sandbox');
    await assert.rejects(files.read(ref, '/etc/passwd'), outside);
    await assert.rejects(files.read(ref, '/workspace/../etc/passwd'), outside);
    await assert.rejects(files.write(ref, '/usr/bin/evil', encode('x')), outside);
    await assert.rejects(files.list(ref, '/'), outside);
    await assert.rejects(files.read(ref, 'relative.txt'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
    await sh(
      world.runtime,
      ref,
      'ln -s /etc /workspace/etc-link && ln -s /etc/hostname /workspace/host-link',
    );
    await assert.rejects(files.read(ref, '/workspace/etc-link/passwd'), outside);
    await assert.rejects(files.read(ref, '/workspace/host-link'), outside);
    await assert.rejects(files.write(ref, '/workspace/etc-link/x', encode('x')), outside);
    await assert.rejects(files.list(ref, '/workspace/etc-link'), outside);
    await assert.rejects(files.upload(ref, '/workspace/etc-link', new ReadableStream()), outside);
    await assert.rejects(files.download(ref, '/workspace/etc-link'), outside);
    // The link itself lives in the workspace: it may be inspected and removed.
    assert.equal((await files.stat(ref, '/workspace/host-link')).type, 'symlink');
    await files.remove(ref, '/workspace/host-link');
    const error = await files.read(ref, '/workspace/etc-link/passwd').catch((e: unknown) => e);
    assert.ok(isPaddockError(error) && /outside/.test(error.message));
    assert.equal(await readText(new ReadableStream({ start: (c) => c.close() })), '');
  });
});
