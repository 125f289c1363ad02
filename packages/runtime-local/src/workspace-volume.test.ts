import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, run, sh, skipReason, type TestWorld } from './test-sandboxes.ts';
import { isWorkspaceMounted, workspaceLimit } from './workspace-volume.ts';

const MiB = 1024 ** 2;

describe('workspace size', () => {
  it('takes the smaller of workspace.size and resources.storage, naming its field', () => {
    assert.equal(workspaceLimit({}), undefined);
    assert.deepEqual(workspaceLimit({ workspace: { size: '64Mi' } }), {
      bytes: 64 * MiB,
      field: 'spec.workspace.size',
    });
    assert.deepEqual(
      workspaceLimit({ workspace: { size: '1Gi' }, resources: { storage: '100M' } }),
      {
        bytes: 100_000_000,
        field: 'spec.resources.storage',
      },
    );
    assert.deepEqual(
      workspaceLimit({ workspace: { size: '20Mi' }, resources: { storage: '1Gi' } }),
      {
        bytes: 20 * MiB,
        field: 'spec.workspace.size',
      },
    );
  });

  it('refuses a size too small, too large or not a quantity, naming the field', () => {
    const cases = [
      [{ workspace: { size: '1Ki' } }, 'spec.workspace.size'],
      [{ resources: { storage: '32Pi' } }, 'spec.resources.storage'],
      [{ workspace: { size: 'lots' } }, 'spec.workspace.size'],
      [{ workspace: { size: '64Mi' }, resources: { storage: '-1Gi' } }, 'spec.resources.storage'],
    ] as const;
    for (const [spec, field] of cases) {
      assert.throws(
        () => workspaceLimit(spec),
        (e) =>
          isPaddockError(e, 'validation_failed') &&
          e.message.startsWith(field) &&
          JSON.stringify(e.details).includes(field),
        JSON.stringify(spec),
      );
    }
  });
});

describe('a size-limited workspace', { skip: skipReason }, () => {
  let world: TestWorld;
  let small: SandboxRef;
  let neighbour: SandboxRef;
  before(async () => {
    world = createTestWorld();
    small = await world.provision({ workspace: { size: '16Mi' } }, 'small');
    neighbour = await world.provision({}, 'neighbour');
  });
  after(async () => {
    await world?.cleanup();
  });

  it('fills up with ENOSPC inside while the host and another sandbox keep writing', async () => {
    const hostFreeBefore = statfsSync(world.root);
    const filled = await sh(
      world.runtime,
      small,
      'dd if=/dev/zero of=/workspace/fill bs=1M count=64 2>&1; echo "exit $?"; df -k /workspace | tail -1',
      { timeoutMs: 60_000 },
    );
    assert.match(filled.stdout, /No space left on device/);
    assert.match(filled.stdout, /exit 1/);
    const sizeKiB = Number(filled.stdout.trim().split('\n').at(-1)?.split(/\s+/)[1]);
    assert.ok(sizeKiB > 8 * 1024 && sizeKiB <= 16 * 1024, `a 16Mi file system (${sizeKiB} KiB)`);
    // The host gave no more than the workspace's size (plus metadata) to it.
    const hostFreeAfter = statfsSync(world.root);
    const usedBytes = (hostFreeBefore.bavail - hostFreeAfter.bavail) * hostFreeAfter.bsize;
    assert.ok(usedBytes <= 20 * MiB, `the host lost ${usedBytes} bytes`);
    writeFileSync(`${world.dataDir}/host-file`, 'host still writes');
    assert.equal(readFileSync(`${world.dataDir}/host-file`, 'utf8'), 'host still writes');
    const other = await sh(
      world.runtime,
      neighbour,
      'dd if=/dev/zero of=/workspace/big bs=1M count=32 2>/dev/null && echo ok',
    );
    assert.equal(other.stdout, 'ok\n');
    // The files API reports the full workspace as such.
    await assert.rejects(
      world.runtime.files.write(small, '/workspace/more', new Uint8Array(4 * MiB)),
      (e) => isPaddockError(e, 'insufficient_storage'),
    );
    await run(world.runtime, small, ['rm', '-f', '/workspace/fill', '/workspace/more']);
  });

  it('keeps its files across stop and start, and is unmounted while stopped and after destroy', async () => {
    const dirs = new SandboxDirs(world.root, small);
    await world.runtime.files.write(small, '/workspace/kept', new TextEncoder().encode('kept'));
    const listing = await sh(world.runtime, small, 'ls -A /workspace; stat -c %u /workspace');
    assert.equal(listing.stdout, 'kept\n1000\n', 'no lost+found, owned by the sandbox user');
    await world.runtime.stop(small);
    assert.equal(isWorkspaceMounted(dirs), false);
    await world.runtime.start(small);
    assert.equal(isWorkspaceMounted(dirs), true);
    const read = await run(world.runtime, small, ['cat', '/workspace/kept']);
    assert.equal(read.stdout, 'kept');
    await world.runtime.destroy(small);
    assert.equal(isWorkspaceMounted(dirs), false);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(world.root));
  });

  it('refuses to resize an existing sandbox and leaves nothing mounted when provisioning fails', async () => {
    const ref = await world.provision({ workspace: { size: '32Mi' } });
    await assert.rejects(
      world.runtime.provision({ ...ref, spec: { workspace: { size: '64Mi' } } }),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.workspace\.size/.test(e.message),
    );
    await world.runtime.destroy(ref);
    // An empty rootfs (no sleep to run) fails the launch after the workspace was mounted.
    const emptyRootfs = mkdtempSync(join(tmpdir(), 'paddock-empty-rootfs-'));
    try {
      await assert.rejects(
        world.runtime.provision({
          ...world.ref(),
          spec: { workspace: { size: '16Mi' }, rootfs: emptyRootfs },
        }),
        (e) => isPaddockError(e, 'runtime_unavailable'),
      );
    } finally {
      rmSync(emptyRootfs, { recursive: true, force: true });
    }
    const leaked = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(world.root));
    assert.deepEqual(leaked, []);
    await assert.rejects(
      world.runtime.provision({ ...world.ref(), spec: { workspace: { size: '1Ki' } } }),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.workspace\.size/.test(e.message),
    );
  });
});
