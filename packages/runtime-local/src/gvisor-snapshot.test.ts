import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxRef, SnapshotRef } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import { SandboxDirs } from './sandbox-state.ts';
import { snapshotDir } from './snapshot-store.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

/** Counts in a shell variable (memory only), one line per step: `<pid> <n>`. */
const COUNTER = 'i=0; while :; do i=$((i + 1)); echo "$$ $i"; sleep 0.05; done';

function stepsOf(world: TestWorld, ref: SandboxRef, id: string): Array<[string, number]> {
  const file = join(new SandboxDirs(world.root, ref).procs, id, 'stdout');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid = '', n = ''] = line.split(' ');
      return [pid, Number(n)];
    });
}

async function stepsBeyond(world: TestWorld, ref: SandboxRef, id: string, count: number) {
  for (let i = 0; i < 400; i += 1) {
    const steps = stepsOf(world, ref, id);
    if (steps.length > count) return steps;
    await sleep(25);
  }
  throw new Error(`${id} wrote no more than ${count} lines`);
}

/** One process all along, counting on from memory: never from 1 again, no step missed. */
function assertOneCount(steps: Array<[string, number]>, what: string): void {
  assert.equal(new Set(steps.map(([pid]) => pid)).size, 1, `${what}: one process`);
  steps.forEach(([, n], i) => {
    assert.equal(n, i + 1, `${what}: the count goes on from memory`);
  });
}

describe('snapshots of gVisor sandboxes with their memory', { skip: gvisorSkip }, () => {
  let world: TestWorld;
  let source: SandboxRef;
  let snapshot: SnapshotRef;
  before(async () => {
    world = createTestWorld();
    source = await world.provision({ isolation: 'gvisor' }, 'source');
    const counter = await world.runtime.exec(source, {
      command: ['sh', '-c', COUNTER],
      background: true,
      processId: 'counter',
    });
    await counter.stdout.cancel();
    await sh(world.runtime, source, 'echo from-source > /tmp/mark && echo ws > file');
    await stepsBeyond(world, source, 'counter', 3);
    snapshot = { ...world.ref('snap'), name: 'snap' };
  });
  after(() => world.cleanup());

  it('holds the image beside the workspace, and the source runs on', async () => {
    const capture = await world.runtime.snapshots.capture(source, snapshot);
    assert.deepEqual(capture.contents, ['workspace', 'memory']);
    assert.equal(capture.consistency, 'frozen');
    assert.equal(capture.memoryNote, undefined);
    assert.ok((capture.memoryBytes ?? 0) > 0, 'the image size');
    assert.ok(capture.sizeBytes >= (capture.memoryBytes ?? 0), 'counted in the size');
    const atCapture = stepsOf(world, source, 'counter').length;
    const steps = await stepsBeyond(world, source, 'counter', atCapture + 3);
    assertOneCount(steps, 'the source');
    assert.deepEqual(
      (await world.runtime.listProcesses(source)).map((p) => [p.id, p.running]),
      [['counter', true]],
    );
    assert.equal((await sh(world.runtime, source, 'cat /tmp/mark')).stdout, 'from-source\n');
  });

  it('starts copies from it that go on from its memory and diverge', async () => {
    const copies = [world.ref('copy-1'), world.ref('copy-2')];
    for (const ref of copies) {
      await world.runtime.provision({
        ...ref,
        spec: { isolation: 'gvisor' },
        fromSnapshot: snapshot,
      });
    }
    for (const ref of copies) {
      const listed = await world.runtime.listProcesses(ref);
      assert.deepEqual(
        listed.map((p) => [p.id, p.running]),
        [['counter', true]],
      );
      const atStart = stepsOf(world, ref, 'counter').length;
      assertOneCount(await stepsBeyond(world, ref, 'counter', atStart + 3), ref.name);
      const read = await sh(world.runtime, ref, 'cat /tmp/mark file; hostname');
      assert.equal(read.stdout, `from-source\nws\n${ref.name}\n`, 'its /tmp, workspace and name');
      await sh(world.runtime, ref, `echo ${ref.name} > /tmp/mark`);
    }
    for (const ref of [source, ...copies]) {
      const mark = (await sh(world.runtime, ref, 'cat /tmp/mark')).stdout;
      assert.equal(mark, `${ref === source ? 'from-source' : ref.name}\n`, 'each its own memory');
    }
    // Each copy's process is its own: ending one leaves the others counting.
    const [first, second] = copies as [SandboxRef, SandboxRef];
    // A copy goes to disk and back as its source does, its restored process followed anew.
    for (let round = 0; round < 2; round += 1) {
      assert.equal((await world.runtime.pause?.(first))?.mechanism, 'checkpoint');
      assert.equal((await world.runtime.resume?.(first))?.state, 'running');
    }
    const atResume = stepsOf(world, first, 'counter').length;
    assertOneCount(await stepsBeyond(world, first, 'counter', atResume + 3), 'a paused copy');
    const handle = await world.runtime.attach(first, 'counter');
    await handle.stdout.cancel();
    await handle.stderr.cancel();
    await handle.signal('SIGTERM');
    assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGTERM', timedOut: false });
    const [still] = await world.runtime.listProcesses(second);
    assert.equal(still?.running, true);
    for (const ref of copies) await world.runtime.destroy(ref);
  });

  it("takes a paused sandbox's image as it is, and leaves memory out while an exec runs", async () => {
    assert.equal((await world.runtime.pause?.(source))?.mechanism, 'checkpoint');
    const fromPaused = { ...world.ref('snap-paused'), name: 'snap-paused' };
    const capture = await world.runtime.snapshots.capture(source, fromPaused);
    assert.deepEqual(capture.contents, ['workspace', 'memory']);
    assert.equal((await world.runtime.observe(source)).state, 'paused', 'not woken');
    assert.equal((await world.runtime.resume?.(source))?.state, 'running');

    const waits = 'until [ -e /tmp/go ]; do sleep 0.05; done';
    const exec = await world.runtime.exec(source, { command: ['sh', '-c', waits] });
    const busy = { ...world.ref('snap-busy'), name: 'snap-busy' };
    const partial = await world.runtime.snapshots.capture(source, busy);
    assert.deepEqual(partial.contents, ['workspace']);
    assert.equal(partial.consistency, 'frozen');
    assert.match(partial.memoryNote ?? '', /an exec or terminal runs in it/);
    await sh(world.runtime, source, 'touch /tmp/go');
    assert.equal((await exec.exit).exitCode, 0, 'the exec went on after the copy');
    for (const ref of [fromPaused, busy]) await world.runtime.snapshots.remove(ref);
  });

  it('says why memory is missing from a stopped sandbox, and removes its files', async () => {
    const stopped = await world.provision({ isolation: 'gvisor' }, 'stopped');
    await world.runtime.stop(stopped);
    const ref = { ...world.ref('snap-stopped'), name: 'snap-stopped' };
    const capture = await world.runtime.snapshots.capture(stopped, ref);
    assert.deepEqual(capture.contents, ['workspace']);
    assert.equal(capture.consistency, 'stopped');
    assert.match(capture.memoryNote ?? '', /not running/);
    const dir = snapshotDir(world.root, snapshot);
    assert.ok(existsSync(join(dir, 'memory', 'checkpoint.img')));
    await world.runtime.snapshots.remove(snapshot);
    assert.ok(!existsSync(dir), 'the image goes with the snapshot');
  });
});
