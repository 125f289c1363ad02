import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef, type VolumeRef } from '@paddock/core';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const MiB = 1024 ** 2;

describe('volumes', { skip: skipReason }, () => {
  let world: TestWorld;
  let shared: VolumeRef;
  let sized: VolumeRef;
  let writer: SandboxRef;
  let reader: SandboxRef;
  before(async () => {
    world = createTestWorld();
    const { namespace } = world.ref('x');
    shared = { namespace, name: 'shared', uid: 'v-1' };
    sized = { namespace, name: 'sized', uid: 'v-2' };
    await world.runtime.volumes.ensure(shared, undefined);
    await world.runtime.volumes.ensure(sized, 16 * MiB);
    writer = await world.provision(
      {
        volumes: [
          { name: 'shared', mountPath: '/data' },
          { name: 'sized', mountPath: '/workspace/small' },
        ],
      },
      'writer',
    );
    reader = await world.provision(
      { volumes: [{ name: 'shared', mountPath: '/data', readOnly: true }] },
      'reader',
    );
  });
  after(() => world.cleanup());

  it('shares files between sandboxes, and outlives them', async () => {
    await sh(world.runtime, writer, 'echo shared > /data/note');
    assert.equal((await sh(world.runtime, reader, 'cat /data/note')).stdout, 'shared\n');
    await world.runtime.destroy(writer);
    const later = await world.provision(
      { volumes: [{ name: 'shared', mountPath: '/mnt/shared' }] },
      'later',
    );
    assert.equal((await sh(world.runtime, later, 'cat /mnt/shared/note')).stdout, 'shared\n');
    const usage = await world.runtime.volumes.observe(shared);
    assert.equal(usage.exists, true);
    assert.ok((usage.usedBytes ?? 0) > 0);
    writer = later;
  });

  it('a read-only mount is not writable from inside, not even by remounting it', async () => {
    const write = await sh(
      world.runtime,
      reader,
      'echo x > /data/evil; echo "rc=$?"; mount -o remount,rw /data 2>&1; echo "m=$?"; rm /data/note; echo "rm=$?"',
    );
    assert.match(write.stdout, /rc=[1-9]/);
    assert.match(write.stderr + write.stdout, /Read-only file system/);
    assert.doesNotMatch(write.stdout, /m=0/);
    assert.match(write.stdout, /rm=[1-9]/);
    assert.equal((await sh(world.runtime, writer, 'cat /mnt/shared/note')).stdout, 'shared\n');
  });

  it('enforces a sized volume with ENOSPC inside the sandbox', async () => {
    const ref = await world.provision(
      { volumes: [{ name: 'sized', mountPath: '/workspace/small' }] },
      'filler',
    );
    const fill = await sh(
      world.runtime,
      ref,
      'head -c 40000000 /dev/zero > /workspace/small/big; echo "rc=$?"',
    );
    assert.match(fill.stdout, /rc=1/);
    assert.match(fill.stderr, /No space left/);
    const usage = await world.runtime.volumes.observe(sized);
    assert.equal(usage.capacityBytes, 16 * MiB);
  });

  it('refuses a volume it does not hold, naming the field, and a changed size', async () => {
    const ref = world.ref('nothing');
    await assert.rejects(
      world.runtime.provision({
        ...ref,
        spec: { volumes: [{ name: 'absent', mountPath: '/data' }] },
      }),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.volumes\[0\]\.name/.test(e.message),
    );
    await assert.rejects(
      world.runtime.volumes.ensure(sized, 32 * MiB),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.size/.test(e.message),
    );
    await assert.rejects(
      world.runtime.volumes.ensure({ ...shared, uid: 'other' }, undefined),
      (e) => isPaddockError(e, 'conflict'),
    );
  });

  it('removes a volume and its data', async () => {
    for (const ref of await world.runtime.list()) await world.runtime.destroy(ref);
    await world.runtime.volumes.remove(shared);
    await world.runtime.volumes.remove(sized);
    assert.equal((await world.runtime.volumes.observe(shared)).exists, false);
    assert.equal((await world.runtime.volumes.observe(sized)).exists, false);
  });
});
