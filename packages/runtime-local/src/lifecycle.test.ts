import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { SandboxDirs } from './sandbox-state.ts';
import {
  createTestWorld,
  processesOf,
  run,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

describe('local runtime lifecycle', { skip: skipReason }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('provisions, runs, stops with the workspace kept, starts again and destroys', async () => {
    const { runtime } = world;
    const ref = world.ref();
    const provisioned = await runtime.provision({ ...ref, spec: {} });
    assert.equal(provisioned.state, 'running');
    assert.ok(provisioned.startedAt);
    assert.equal((await runtime.observe(ref)).state, 'running');

    const hi = await run(runtime, ref, ['echo', 'hi']);
    assert.deepEqual(hi, {
      exitCode: 0,
      signal: null,
      timedOut: false,
      stdout: 'hi\n',
      stderr: '',
    });
    assert.equal((await sh(runtime, ref, 'echo kept > /workspace/note.txt')).exitCode, 0);

    assert.equal((await runtime.stop(ref)).state, 'stopped');
    assert.equal((await runtime.observe(ref)).state, 'stopped');
    await assert.rejects(runtime.exec(ref, { command: ['true'] }), (e) =>
      isPaddockError(e, 'invalid_transition'),
    );
    assert.equal((await runtime.stop(ref)).state, 'stopped', 'stop is idempotent');

    const started = await runtime.start(ref);
    assert.equal(started.state, 'running');
    assert.equal((await run(runtime, ref, ['cat', '/workspace/note.txt'])).stdout, 'kept\n');
    assert.equal((await runtime.start(ref)).startedAt, started.startedAt, 'start is idempotent');

    await runtime.destroy(ref);
    assert.deepEqual(await runtime.observe(ref), { state: 'absent' });
    await runtime.destroy(ref);
    assert.ok(!(await runtime.list()).some((r) => r.name === ref.name));
  });

  it('provision is idempotent and guards the uid', async () => {
    const { runtime } = world;
    const ref = await world.provision();
    const first = await runtime.observe(ref);
    const again = await runtime.provision({ ...ref, spec: {} });
    assert.equal(again.startedAt, first.startedAt);
    await assert.rejects(runtime.provision({ ...ref, uid: 'other', spec: {} }), (e) =>
      isPaddockError(e, 'conflict'),
    );
    assert.deepEqual(await runtime.observe({ ...ref, uid: 'other' }), { state: 'absent' });
    await assert.rejects(runtime.stop({ ...ref, uid: 'other' }), (e) =>
      isPaddockError(e, 'sandbox_not_found'),
    );
    assert.ok((await runtime.list()).some((r) => r.name === ref.name && r.uid === ref.uid));
  });

  it('keeps running when its runtime instance is dropped and is re-adopted without duplicates', async () => {
    const ref = await world.provision();
    const before = await world.runtime.observe(ref);
    const anchors = () => processesOf(ref).filter((p) => p.command === 'sleep infinity');
    assert.equal(anchors().length, 1);
    const reopened = world.reopen();
    const adopted = await reopened.provision({ ...ref, spec: {} });
    assert.equal(adopted.state, 'running');
    assert.equal(adopted.startedAt, before.startedAt);
    assert.equal(anchors().length, 1, 'no second sandbox was started');
    assert.equal((await run(reopened, ref, ['echo', 'still here'])).stdout, 'still here\n');
  });

  it('observes a sandbox whose processes died (a host reboot) as not running and starts it again', async () => {
    const ref = await world.provision();
    await sh(world.runtime, ref, 'echo survived > /workspace/f');
    const state = JSON.parse(readFileSync(new SandboxDirs(world.root, ref).state, 'utf8'));
    process.kill(state.incarnation.anchor.pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await world.runtime.observe(ref)).state === 'running'; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const observed = await world.runtime.observe(ref);
    assert.notEqual(observed.state, 'running');
    assert.equal((await world.runtime.start(ref)).state, 'running');
    assert.equal((await run(world.runtime, ref, ['cat', '/workspace/f'])).stdout, 'survived\n');
  });

  it('rejects kata and unknown sandboxes with the contract codes', async () => {
    const ref = world.ref();
    await assert.rejects(world.runtime.provision({ ...ref, spec: { isolation: 'kata' } }), (e) =>
      isPaddockError(e, 'runtime_unavailable'),
    );
    assert.deepEqual(await world.runtime.observe(ref), { state: 'absent' });
    await assert.rejects(world.runtime.exec(ref, { command: ['true'] }), (e) =>
      isPaddockError(e, 'sandbox_not_found'),
    );
    await assert.rejects(world.runtime.provision({ ...world.ref('Bad_Name'), spec: {} }), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
  });
});
