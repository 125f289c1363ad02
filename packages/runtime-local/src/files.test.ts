// What the runtime contract leaves to each runtime: whose files the API writes and how tar's
// refusals read. The contract itself (read, write, list, stat, mkdir, move, remove, archives,
// confinement) runs in runtime-contract.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { createTestWorld, run, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

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

  it('writes files as the sandbox user, in its home too', async () => {
    const { files } = world.runtime;
    await files.write(ref, '/workspace/dir/run.sh', encode('#!/bin/sh\necho ran\n'), {
      mode: 0o755,
    });
    assert.equal((await run(world.runtime, ref, ['/workspace/dir/run.sh'])).stdout, 'ran\n');
    const owner = await sh(world.runtime, ref, 'stat -c %u:%g /workspace/dir/run.sh');
    assert.equal(owner.stdout, '1000:1000\n');
    await files.write(ref, '/home/user/.profile', encode('home'));
    assert.equal(decode(await files.read(ref, '/home/user/.profile')), 'home');
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
});
