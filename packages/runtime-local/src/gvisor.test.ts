import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { ociConfig } from './gvisor.ts';
import { findExecutable } from './host-binaries.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

describe('gVisor OCI config', () => {
  it('mounts the view read-only and only workspace and home writable, as user 1000', () => {
    const config = ociConfig({
      hostname: 'box',
      view: [
        { kind: 'bind', source: '/usr', dest: '/usr' },
        { kind: 'symlink', target: 'usr/bin', dest: '/bin' },
      ],
      generated: [{ source: '/state/etc/passwd', dest: '/etc/passwd' }],
      workspace: '/state/workspace',
      home: '/state/home',
    });
    const mounts = config.mounts as Array<{
      destination: string;
      type: string;
      options?: string[];
    }>;
    const writable = mounts
      .filter((m) => m.type === 'bind' && m.options?.includes('rw'))
      .map((m) => m.destination);
    assert.deepEqual(writable, ['/workspace', '/home/user']);
    assert.ok(mounts.some((m) => m.destination === '/usr' && m.options?.includes('ro')));
    assert.deepEqual((config.process as { user: unknown }).user, { uid: 1000, gid: 1000 });
    assert.deepEqual((config.root as { readonly: boolean }).readonly, true);
    assert.equal(config.hostname, 'box');
  });

  it('binds template host mounts read-only or writable as they ask', () => {
    const config = ociConfig({
      hostname: 'box',
      view: [],
      generated: [],
      workspace: '/state/workspace',
      home: '/state/home',
      hostMounts: [
        { source: '/srv/models', dest: '/models', readOnly: true },
        { source: '/srv/out', dest: '/workspace/out', readOnly: false },
      ],
    });
    const mounts = config.mounts as Array<{
      destination: string;
      source: string;
      options?: string[];
    }>;
    const modes = mounts
      .filter((m) => m.source.startsWith('/srv/'))
      .map((m) => `${m.destination}:${m.options?.includes('rw') ? 'rw' : 'ro'}`);
    assert.deepEqual(modes, ['/models:ro', '/workspace/out:rw']);
    // After the workspace's own bind, so the nested one sits on it.
    const order = mounts.map((m) => m.destination);
    assert.ok(order.indexOf('/workspace/out') > order.indexOf('/workspace'));
  });
});

describe('isolation: gvisor', () => {
  let world: TestWorld | undefined;
  before(() => {
    if (skipReason === undefined) world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('is runtime_unavailable when runsc is missing', { skip: skipReason }, async () => {
    const runtime = world?.reopen({ binaries: { runsc: '/nonexistent/runsc' } });
    assert.ok(runtime && world);
    const ref = world.ref();
    await assert.rejects(
      runtime.provision({ ...ref, spec: { isolation: 'gvisor' } }),
      (e) => isPaddockError(e, 'runtime_unavailable') && /runsc/.test(e.message),
    );
    assert.deepEqual(await runtime.observe(ref), { state: 'absent' });
  });

  // The runtime contract runs on gVisor too (runtime-contract.test.ts); this checks the kernel.
  it("runs under gVisor's kernel as user 1000, on a host named after the sandbox", {
    skip: gvisorSkip,
  }, async () => {
    assert.ok(world);
    const ref = await world.provision({ isolation: 'gvisor' });
    const kernel = await sh(world.runtime, ref, 'id -u; hostname; dmesg | head -n 1');
    assert.match(kernel.stdout, new RegExp(`^1000\\n${ref.name}\\n.*gVisor`));
    await world.runtime.destroy(ref);
  });
});
