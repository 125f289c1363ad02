import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Sandbox } from '@paddock/core';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { idToRef } from './runtime-ref.ts';
import { reconcileSandbox } from './sandbox-reconciler.ts';
import { createHarness, type Harness, sandboxManifest, templateManifest } from './test-harness.ts';
import { WARM_POOL_NAMESPACE, WarmPool } from './warm-pool.ts';

describe('warm pool', () => {
  let h: Harness;
  let pool: WarmPool;
  const settle = async (name: string): Promise<Sandbox> => {
    for (let i = 0; i < 10; i++) {
      const r = await reconcileSandbox({ ...h, warmPool: pool }, { namespace: 'default', name });
      if (r.requeueAfterMs !== 0) break;
    }
    return h.store.get('Sandbox', { namespace: 'default', name });
  };
  const warmEntries = async (runtime = h.runtime) =>
    (await runtime.list()).filter((r) => r.namespace === WARM_POOL_NAMESPACE).map((r) => r.name);

  beforeEach(async () => {
    h = await createHarness();
    await h.apply(
      templateManifest('shell', {
        init: [{ name: 'deps', command: ['true'] }],
        overridable: ['env'],
        warmPool: { size: 2 },
      }),
    );
    pool = new WarmPool(h);
    await pool.scheduleSync();
  });
  afterEach(async () => {
    await pool.close();
    await h.close();
  });

  it('pre-provisions N sandboxes per template, running its provisioning steps', async () => {
    assert.equal((await warmEntries()).length, 2);
    assert.equal(h.runtime.calls.filter((c) => c.includes(' true')).length, 2);
    assert.deepEqual(pool.stats(), [
      { template: 'SandboxTemplate/default/shell', desired: 2, ready: 2, hits: 0, misses: 0 },
    ]);
  });

  it('hands a ready sandbox to a matching create, then refills', async () => {
    const before = await warmEntries();
    await h.apply(sandboxManifest('a'));
    const s = await settle('a');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(s.status?.fromWarmPool, true);
    const claimedName = s.status?.runtime?.id.split('/')[1] ?? '';
    assert.ok(before.includes(claimedName), 'the sandbox runs in a pre-provisioned entry');
    assert.ok(!h.runtime.calls.includes('provision default/a'), 'no cold provisioning');
    const ref = idToRef(s.status?.runtime?.id ?? '');
    assert.ok(ref !== undefined);
    assert.equal(h.runtime.hostnameOf(ref), 'a', "the entry answers to its claimant's name");
    // Refilled on its own once the claim is recorded (no sync asked for), after a short delay.
    await eventually(() => pool.stats()[0]?.ready === 2, {
      what: 'the pool refilled after the claim',
    });
    assert.equal(pool.stats()[0]?.hits, 1);
  });

  it('hands out no entry it cannot rename: a cold start follows and the entry is destroyed', async () => {
    const before = await warmEntries();
    const runtime = h.runtime;
    runtime.setHostname = async () => {
      throw new Error('no uts namespace');
    };
    await h.apply(sandboxManifest('b'));
    const s = await settle('b');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(s.status?.fromWarmPool, false);
    assert.ok(runtime.calls.includes('provision default/b'), 'a cold start');
    const destroyed = before.filter((name) =>
      runtime.calls.includes(`destroy ${WARM_POOL_NAMESPACE}/${name}`),
    );
    // Admission and creation each tried one: each was destroyed, none handed out.
    assert.ok(destroyed.length >= 1, 'the entries that could not be renamed are destroyed');
    assert.match(s.status?.runtime?.id ?? '', /^default\/b\//);
    assert.equal(pool.stats()[0]?.hits, 0);
  });

  it('falls back to a cold start when the pool is empty or the spec differs', async () => {
    await h.apply(sandboxManifest('x', { overrides: { env: [{ name: 'A', value: '1' }] } }));
    assert.equal(
      (await settle('x')).status?.fromWarmPool,
      false,
      'overrides change the environment',
    );
    const cold = new WarmPool({ ...h, runtime: h.runtime });
    await h.apply(sandboxManifest('y'));
    const s = await (async () => {
      for (let i = 0; i < 10; i++) {
        const r = await reconcileSandbox(
          { ...h, warmPool: cold },
          { namespace: 'default', name: 'y' },
        );
        if (r.requeueAfterMs !== 0) break;
      }
      return h.store.get('Sandbox', { namespace: 'default', name: 'y' });
    })();
    assert.equal(s.status?.fromWarmPool, false, 'a pool that has not synced has nothing ready');
    assert.equal(s.status?.phase, 'Running');
    await cold.close();
  });

  it('is adopted by a new process without duplicates, and a claimed entry is not re-pooled', async () => {
    await h.apply(sandboxManifest('a'));
    await settle('a');
    await pool.scheduleSync();
    const entries = await warmEntries();
    assert.equal(entries.length, 3, 'two ready and one claimed');
    const restarted = new WarmPool(h);
    await restarted.scheduleSync();
    assert.equal(restarted.stats()[0]?.ready, 2);
    assert.deepEqual(
      (await warmEntries()).sort(),
      entries.sort(),
      'nothing provisioned or destroyed',
    );
    await restarted.close();
  });

  it('drains entries of a template that no longer wants a pool', async () => {
    const t = await h.store.get('SandboxTemplate', { namespace: 'default', name: 'shell' });
    await h.store.update({ ...t, spec: { ...t.spec, warmPool: { size: 0 } } });
    await pool.scheduleSync();
    assert.deepEqual(await warmEntries(), []);
  });

  it('does not pool a template with host mounts: each namespace policy judges them', async () => {
    const t = await h.store.get('SandboxTemplate', { namespace: 'default', name: 'shell' });
    const mounts = [{ name: 'data', mountPath: '/data', hostPath: '/srv/data' }];
    await h.store.update({ ...t, spec: { ...t.spec, mounts } });
    await pool.scheduleSync();
    assert.deepEqual(await warmEntries(), []);
    assert.deepEqual(pool.stats(), []);
  });

  it('does not keep a failed entry, and records why', async () => {
    const runtime = new MemoryRuntime({ script: () => ({ exitCode: 1, stderr: 'boom' }) });
    const failing = new WarmPool({ ...h, runtime });
    await failing.scheduleSync();
    assert.deepEqual(await warmEntries(runtime), []);
    assert.ok(
      h.events
        .list({ name: 'shell' })
        .some((e) => e.reason === 'WarmPoolProvisionFailed' && e.message.includes('boom')),
    );
    await failing.close();
  });
});
