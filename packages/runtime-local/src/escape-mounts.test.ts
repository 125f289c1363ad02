/**
 * Template host mounts: a host directory appears only where the template puts it, read-only when
 * it says so, and never one outside the roots the policy allows, not even through a symlink.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type Mount, type SandboxEnvironment } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

/** The violations' `code@field`s of a policy_violation, or the issues' fields of a validation_failed. */
function refusal(error: unknown): string[] {
  assert.ok(isPaddockError(error), String(error));
  const details = error.details as {
    violations?: Array<{ code: string; field: string }>;
    issues?: Array<{ path: string }>;
  };
  if (error.code === 'policy_violation')
    return (details.violations ?? []).map((v) => `${v.code}@${v.field}`);
  if (error.code === 'validation_failed')
    return (details.issues ?? []).map((i) => `validation@${i.path}`);
  return [`${error.code}: ${error.message}`];
}

describe('template host mounts', { skip: skipReason }, () => {
  let world: TestWorld;
  /** Holds `allowed/` (the policy's root), `outside/` beside it and a secret above both. */
  let hostDir: string;
  let allowed: string;
  let outside: string;

  before(() => {
    hostDir = mkdtempSync(join(tmpdir(), 'paddock-mounts-'));
    allowed = join(hostDir, 'allowed');
    outside = join(hostDir, 'outside');
    for (const dir of [allowed, join(allowed, 'ro'), join(allowed, 'rw'), outside]) mkdirSync(dir);
    writeFileSync(join(allowed, 'ro', 'model.txt'), 'weights');
    writeFileSync(join(outside, 'secret.txt'), 'host-secret');
    writeFileSync(join(hostDir, 'above.txt'), 'above-secret');
    // Writable by anyone on the host: only the read-only mount can stop the sandbox writing `ro`.
    chmodSync(join(allowed, 'ro'), 0o777);
    chmodSync(join(allowed, 'ro', 'model.txt'), 0o666);
    chmodSync(join(allowed, 'rw'), 0o777);
    // A link inside the allowed root that leads out of it.
    symlinkSync(outside, join(allowed, 'escape'));
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
    if (hostDir !== undefined) rmSync(hostDir, { recursive: true, force: true });
  });

  const mounts = (...list: Mount[]): SandboxEnvironment => ({ mounts: list });
  const provision = async (spec: SandboxEnvironment, roots: string[] | undefined) => {
    const ref = world.ref();
    await world.runtime.provision({
      ...ref,
      spec,
      ...(roots === undefined ? {} : { allowedHostPaths: roots }),
    });
    return ref;
  };
  const refused = async (spec: SandboxEnvironment, roots: string[] | undefined) => {
    const ref = world.ref();
    const request = { ...ref, spec, ...(roots === undefined ? {} : { allowedHostPaths: roots }) };
    const error = await world.runtime.provision(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error !== undefined, 'provision was refused');
    // Nothing is left of a refused sandbox.
    assert.deepEqual(await world.runtime.observe(ref), { state: 'absent' });
    return refusal(error);
  };

  it('binds read-only and writable host directories where the template says', async () => {
    const ref = await provision(
      mounts(
        { name: 'models', mountPath: '/models', hostPath: join(allowed, 'ro'), readOnly: true },
        { name: 'out', mountPath: '/workspace/out', hostPath: join(allowed, 'rw') },
      ),
      [allowed],
    );
    const read = await sh(world.runtime, ref, 'cat /models/model.txt');
    assert.equal(read.stdout, 'weights');
    const write = await sh(world.runtime, ref, 'echo changed > /models/model.txt');
    assert.notEqual(write.exitCode, 0);
    assert.match(write.stderr, /Read-only file system/);
    const create = await sh(world.runtime, ref, 'touch /models/new; mkdir /models/dir');
    assert.match(create.stderr, /Read-only file system/);
    assert.equal(readFileSync(join(allowed, 'ro', 'model.txt'), 'utf8'), 'weights');

    const written = await sh(world.runtime, ref, 'echo result > /workspace/out/result.txt');
    assert.equal(written.exitCode, 0, written.stderr);
    assert.equal(readFileSync(join(allowed, 'rw', 'result.txt'), 'utf8'), 'result\n');
    // Only the directory itself: its parent inside is the sandbox's, not the host's.
    const around = await sh(
      world.runtime,
      ref,
      'cat /models/../above.txt /models/../escape/secret.txt',
    );
    assert.notEqual(around.exitCode, 0);
    assert.doesNotMatch(around.stdout, /secret/);
    await world.runtime.destroy(ref);
    // Destroying the sandbox leaves the host directories as they were.
    assert.equal(readFileSync(join(allowed, 'rw', 'result.txt'), 'utf8'), 'result\n');
  });

  it('refuses a host path outside the allowed roots, or any without roots', async () => {
    const spec = mounts({ name: 'secret', mountPath: '/data', hostPath: outside });
    assert.deepEqual(await refused(spec, [allowed]), [
      'host_path_not_allowed@spec.mounts[0].hostPath',
    ]);
    const inside = mounts({ name: 'ro', mountPath: '/data', hostPath: join(allowed, 'ro') });
    assert.deepEqual(await refused(inside, undefined), [
      'host_path_not_allowed@spec.mounts[0].hostPath',
    ]);
    assert.deepEqual(await refused(inside, []), ['host_path_not_allowed@spec.mounts[0].hostPath']);
  });

  it('refuses a symlink inside an allowed root that leads out of it', async () => {
    const spec = mounts({ name: 'link', mountPath: '/data', hostPath: join(allowed, 'escape') });
    assert.deepEqual(await refused(spec, [allowed]), [
      'host_path_not_allowed@spec.mounts[0].hostPath',
    ]);
  });

  it('judges a path again at every start: a directory swapped for a link is refused', async () => {
    const swap = join(allowed, 'swap');
    mkdirSync(swap, { mode: 0o755 });
    const ref = await provision(
      mounts({ name: 'swap', mountPath: '/data', hostPath: swap, readOnly: true }),
      [allowed],
    );
    await world.runtime.stop(ref);
    rmSync(swap, { recursive: true });
    symlinkSync(outside, swap);
    await assert.rejects(world.runtime.start(ref), (error) => {
      assert.deepEqual(refusal(error), ['host_path_not_allowed@spec.mounts[0].hostPath']);
      return true;
    });
    assert.equal((await world.runtime.observe(ref)).state, 'stopped');
    await world.runtime.destroy(ref);
  });

  it('names the field of a bad mount point, a missing source or overlapping mounts', async () => {
    const ro = join(allowed, 'ro');
    assert.deepEqual(
      await refused(
        mounts(
          { name: 'a', mountPath: '/etc/x', hostPath: ro },
          { name: 'b', mountPath: '/data', hostPath: join(allowed, 'missing') },
          { name: 'c', mountPath: '/data/sub', hostPath: ro },
          { name: 'd', mountPath: '/workspace', hostPath: ro },
        ),
        [allowed],
      ),
      [
        'validation@spec.mounts[0].mountPath',
        'validation@spec.mounts[1].hostPath',
        'validation@spec.mounts[2].mountPath',
        'validation@spec.mounts[3].mountPath',
      ],
    );
    assert.deepEqual(
      await refused(mounts({ name: 'file', mountPath: '/data', hostPath: join(ro, 'model.txt') }), [
        allowed,
      ]),
      ['validation@spec.mounts[0].hostPath'],
    );
  });

  it('mounts under gVisor too: read-only refuses writes, writable takes them', {
    skip: gvisorSkip,
  }, async () => {
    const ref = await provision(
      {
        isolation: 'gvisor',
        mounts: [
          { name: 'models', mountPath: '/models', hostPath: join(allowed, 'ro'), readOnly: true },
          { name: 'out', mountPath: '/workspace/out', hostPath: join(allowed, 'rw') },
        ],
      },
      [allowed],
    );
    const read = await sh(world.runtime, ref, 'cat /models/model.txt');
    assert.equal(read.stdout, 'weights');
    const write = await sh(world.runtime, ref, 'echo changed > /models/model.txt');
    assert.notEqual(write.exitCode, 0);
    assert.match(write.stderr, /Read-only file system/);
    const written = await sh(world.runtime, ref, 'echo gvisor > /workspace/out/gvisor.txt');
    assert.equal(written.exitCode, 0, written.stderr);
    assert.equal(readFileSync(join(allowed, 'rw', 'gvisor.txt'), 'utf8'), 'gvisor\n');
    await world.runtime.destroy(ref);
  });
});
