import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SandboxDirs } from './sandbox-state.ts';
import {
  createTestWorld,
  FORK_FLOOD,
  MEMORY_HOG,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

function cgroupFile(
  world: TestWorld,
  ref: Parameters<TestWorld['runtime']['observe']>[0],
  file: string,
): string {
  const state = JSON.parse(readFileSync(new SandboxDirs(world.root, ref).state, 'utf8'));
  for (const dir of state.limits.cgroups as string[]) {
    try {
      return readFileSync(join(dir, file), 'utf8').trim();
    } catch {}
  }
  throw new Error(`no ${file} in the sandbox's cgroups`);
}

describe('limits', { skip: skipReason }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('reports the mechanism that applies and writes memory, cpu and pids limits', async (t) => {
    const ref = await world.provision({ resources: { memory: '96Mi', cpu: '500m', pids: 64 } });
    const observed = await world.runtime.observe(ref);
    assert.equal(observed.limits, world.runtime.limitsMechanism);
    if (observed.limits === 'rlimit') return t.skip('no cgroup is writable here');
    const v2 = observed.limits === 'cgroup-v2';
    assert.equal(
      cgroupFile(world, ref, v2 ? 'memory.max' : 'memory.limit_in_bytes'),
      String(96 * 1024 * 1024),
    );
    assert.equal(cgroupFile(world, ref, 'pids.max'), '64');
    if (v2) assert.equal(cgroupFile(world, ref, 'cpu.max'), '50000 100000');
    else assert.equal(cgroupFile(world, ref, 'cpu.cfs_quota_us'), '50000');
    // Every process of the sandbox, exec'd ones included, is in its cgroups.
    const inside = await sh(world.runtime, ref, 'cat /proc/self/cgroup');
    assert.match(inside.stdout, /memory:\/$|^0::\/$/m);
  });

  it('kills a memory hog at the memory limit and keeps the sandbox', async () => {
    const ref = await world.provision({ resources: { memory: '64Mi' } });
    const hog = await sh(world.runtime, ref, MEMORY_HOG, { timeoutMs: 30_000 });
    assert.equal(hog.timedOut, false);
    assert.notEqual(hog.exitCode, 0, 'the hog was stopped before it got its 256 MiB');
    assert.equal((await world.runtime.observe(ref)).state, 'running');
    assert.equal((await sh(world.runtime, ref, 'echo alive')).stdout, 'alive\n');
  });

  it('stops a flood of processes at the pids limit', async () => {
    const ref = await world.provision({ resources: { pids: 32 } });
    const flood = await sh(world.runtime, ref, FORK_FLOOD, { timeoutMs: 30_000 });
    assert.match(flood.stderr, /fork|Resource temporarily unavailable/i);
    assert.equal((await sh(world.runtime, ref, 'echo alive')).stdout, 'alive\n');
  });

  it('falls back to rlimits when asked to and says so', async () => {
    const runtime = world.reopen({ limits: 'rlimit' });
    const ref = world.ref();
    const observed = await runtime.provision({
      ...ref,
      spec: { resources: { memory: '256Mi', pids: 100 } },
    });
    assert.equal(observed.limits, 'rlimit');
    const limits = (await sh(runtime, ref, 'cat /proc/self/limits')).stdout;
    assert.match(limits, /^Max processes\s+100\s+100\s/m);
    assert.match(limits, new RegExp(`^Max data size\\s+${256 * 1024 * 1024}\\s`, 'm'));
    await runtime.destroy(ref);
  });
});
