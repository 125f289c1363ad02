import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef, type SnapshotRef } from '@paddock/core';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const snapshotRef = (world: TestWorld, name: string): SnapshotRef => {
  const { namespace, uid } = world.ref(name);
  return { namespace, name, uid };
};

describe('workspace snapshots', { skip: skipReason }, () => {
  let world: TestWorld;
  let source: SandboxRef;
  let snapshot: SnapshotRef;
  before(async () => {
    world = createTestWorld();
    source = await world.provision({}, 'source');
    await sh(world.runtime, source, 'mkdir -p a/b && echo hello > a/b/file && echo top > top');
    snapshot = snapshotRef(world, 'snap');
  });
  after(() => world.cleanup());

  it('copies a running workspace with its processes frozen, and says memory is not in it', async () => {
    const capture = await world.runtime.snapshots.capture(source, snapshot);
    assert.deepEqual(capture.contents, ['workspace']);
    assert.equal(capture.consistency, 'frozen');
    assert.ok(capture.sizeBytes > 0);
    assert.match(capture.memoryNote ?? '', /CRIU/);
    // Idempotent: a second capture of the same snapshot reports the first.
    assert.deepEqual(await world.runtime.snapshots.capture(source, snapshot), capture);
    // The source still runs after the freeze.
    assert.equal((await sh(world.runtime, source, 'echo alive')).stdout, 'alive\n');
    assert.deepEqual(
      (await world.runtime.snapshots.list()).map((s) => s.name),
      ['snap'],
    );
  });

  it('forks: each copy has the files, owned by its own user, and writes stay in their copy', async () => {
    const copies = [world.ref('fork-1'), world.ref('fork-2')];
    for (const ref of copies)
      await world.runtime.provision({ ...ref, spec: {}, fromSnapshot: snapshot });
    for (const ref of copies) {
      const read = await sh(world.runtime, ref, 'cat a/b/file top && stat -c %u a/b/file');
      assert.equal(read.stdout, 'hello\ntop\n1000\n');
    }
    const [first, second] = copies as [SandboxRef, SandboxRef];
    await sh(world.runtime, first, 'echo mine > a/b/file && echo new > only-first');
    const other = await sh(world.runtime, second, 'cat a/b/file; ls only-first 2>&1; true');
    assert.match(other.stdout, /^hello\n.*No such file/s);
    const origin = await sh(world.runtime, source, 'cat a/b/file; ls only-first 2>&1; true');
    assert.match(origin.stdout, /^hello\n.*No such file/s);
  });

  it('outlives its sandbox, and a stopped sandbox is copied as it stands', async () => {
    await world.runtime.stop(source);
    const stopped = snapshotRef(world, 'snap-stopped');
    const capture = await world.runtime.snapshots.capture(source, stopped);
    assert.equal(capture.consistency, 'stopped');
    await world.runtime.destroy(source);
    const ref = world.ref('after-destroy');
    await world.runtime.provision({ ...ref, spec: {}, fromSnapshot: stopped });
    assert.equal((await sh(world.runtime, ref, 'cat top')).stdout, 'top\n');
  });

  it('refuses a snapshot it does not hold, and removes one only by its uid', async () => {
    const missing = snapshotRef(world, 'missing');
    const ref = world.ref('from-missing');
    await assert.rejects(
      world.runtime.provision({ ...ref, spec: {}, fromSnapshot: missing }),
      (e) => isPaddockError(e, 'not_found') && /spec\.fromSnapshot\.name/.test(e.message),
    );
    await world.runtime.snapshots.remove({ ...snapshot, uid: 'another' });
    assert.ok((await world.runtime.snapshots.list()).some((s) => s.name === 'snap'));
    await world.runtime.snapshots.remove(snapshot);
    assert.ok(!(await world.runtime.snapshots.list()).some((s) => s.name === 'snap'));
  });
});
