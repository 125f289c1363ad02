import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { SandboxDirs } from './sandbox-state.ts';
import {
  createTestWorld,
  processesOf,
  run,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

// What the runtime contract leaves to the local runtime: its process tree and host crashes. The
// contract itself (provision, stop, start, destroy, re-adoption) runs in runtime-contract.test.ts.
describe('local runtime lifecycle', { skip: skipReason }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
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
    await eventually(async () => (await world.runtime.observe(ref)).state !== 'running', {
      what: 'the sandbox observed down',
      intervalMs: 10,
    });
    assert.equal((await world.runtime.start(ref)).state, 'running');
    assert.equal((await run(world.runtime, ref, ['cat', '/workspace/f'])).stdout, 'survived\n');
  });

  it('reports no activity until the first exec, then its time', async () => {
    const ref = await world.provision();
    assert.equal((await world.runtime.observe(ref)).lastActivityAt, undefined);
    const before = Date.now();
    await run(world.runtime, ref, ['true']);
    const at = (await world.runtime.observe(ref)).lastActivityAt;
    assert.ok(at !== undefined && Date.parse(at) >= before - 1000, String(at));
  });

  it('rejects kata and names that are no DNS label', async () => {
    const ref = world.ref();
    await assert.rejects(world.runtime.provision({ ...ref, spec: { isolation: 'kata' } }), (e) =>
      isPaddockError(e, 'runtime_unavailable'),
    );
    assert.deepEqual(await world.runtime.observe(ref), { state: 'absent' });
    await assert.rejects(world.runtime.provision({ ...world.ref('Bad_Name'), spec: {} }), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
  });
});
