// A background process's output and exit reach a reader through inotify, not a poll: with every
// timer stopped (node:test's mock timers), the reader still wakes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withoutTimers } from '@paddock/testkit';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, skipReason, type TestWorld } from './test-sandboxes.ts';

describe('following a background process', { skip: skipReason ?? false }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('wakes its reader on new output and on its exit, with no timer', {
    timeout: 30_000,
  }, async () => {
    const ref = await world.provision();
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'until [ -e /workspace/go ]; do sleep 0.01; done; echo late'],
      background: true,
    });
    const reader = handle.stdout.getReader();
    const go = join(new SandboxDirs(world.root, ref).workspace, 'go');
    const [chunk, status] = await withoutTimers(async () => {
      const read = reader.read();
      const exit = handle.exit;
      writeFileSync(go, '');
      return Promise.all([read, exit]);
    });
    assert.equal(new TextDecoder().decode(chunk.value), 'late\n');
    assert.equal(status.exitCode, 0);
    reader.releaseLock();
  });
});
