/**
 * Escape attempts on the memory limit through tmpfs: `/tmp` and `/dev/shm` live in memory, so a
 * sandbox filling them must hit its own limit, with cgroups (which count tmpfs pages) and with
 * rlimits (which do not: the tmpfs gets a size). Each fill is bounded (160 MiB).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const FILL_MIB = 160;
const fill = (dir: string) =>
  `dd if=/dev/zero of=${dir}/fill bs=1M count=${FILL_MIB} status=none && echo filled`;

describe('escape attempts on the memory limit through tmpfs', {
  skip: skipReason,
  timeout: 60_000,
}, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('cannot fill /dev/shm or /tmp past its memory limit under cgroups', async (t) => {
    if (world.runtime.limitsMechanism === 'rlimit') return t.skip('no cgroup is writable here');
    for (const dir of ['/dev/shm', '/tmp']) {
      // A sandbox each: one at its limit kills its next commands too.
      const ref = await world.provision({ resources: { memory: '64Mi' } });
      const result = await sh(world.runtime, ref, fill(dir), { timeoutMs: 30_000 });
      assert.notEqual(result.stdout, 'filled\n', `${dir} took ${FILL_MIB} MiB`);
      await world.runtime.destroy(ref);
    }
  });

  it('cannot fill /dev/shm or /tmp past its memory limit under rlimits', async () => {
    const runtime = world.reopen({ limits: 'rlimit' });
    const ref = world.ref();
    await runtime.provision({ ...ref, spec: { resources: { memory: '64Mi' } } });
    try {
      for (const dir of ['/dev/shm', '/tmp']) {
        const result = await sh(runtime, ref, fill(dir), { timeoutMs: 30_000 });
        assert.notEqual(result.stdout, 'filled\n', `${dir} took ${FILL_MIB} MiB`);
        assert.match(result.stderr, /No space left on device/);
        const size = await sh(runtime, ref, `rm -f ${dir}/fill; df -k --output=size ${dir}`);
        assert.equal(size.stdout.trim().split('\n').pop()?.trim(), String(64 * 1024));
      }
    } finally {
      await runtime.destroy(ref);
    }
  });
});
