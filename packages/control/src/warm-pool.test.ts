import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Sandbox } from '@paddock/core';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { idToRef } from './runtime-ref.ts';
import { collectOrphans } from './sandbox-controller.ts';
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

  it('records the facts observed when the entry started, without observing it again', async () => {
    const observed: string[] = [];
    const observe = h.runtime.observe.bind(h.runtime);
    h.runtime.observe = (ref) => {
      observed.push(ref.name);
      return observe(ref);
    };
    await h.apply(sandboxManifest('a'));
    const s = await settle('a');
    assert.equal(s.status?.fromWarmPool, true);
    assert.equal(s.status?.limits, 'rlimit', "the entry's limits, observed at its start");
    const claimed = s.status?.runtime?.id.split('/')[1] ?? '';
    assert.deepEqual(
      observed.filter((name) => name === claimed),
      [],
      'the claim did not observe its entry',
    );
    // A claimant the pool has no facts of (a retried pass) observes the runtime, as a cold one.
    const ref = idToRef(s.status?.runtime?.id ?? '');
    assert.ok(ref !== undefined);
    assert.equal(pool.takeFacts(ref), undefined, 'facts are handed out once');
  });

  it('refills once claims pause, or at the longest wait when they do not', async () => {
    await pool.close();
    const claimBoth = async (names: string[]) => {
      for (const name of names) {
        await h.apply(sandboxManifest(name));
        assert.equal((await settle(name)).status?.fromWarmPool, true);
      }
    };
    // Claims never pause long enough, and the longest wait is long: no refill meanwhile.
    pool = new WarmPool({ ...h, refill: { quietMs: 60_000, maxWaitMs: 60_000 } });
    await pool.scheduleSync();
    await claimBoth(['p1', 'p2']);
    assert.equal(pool.stats()[0]?.ready, 0, 'the burst is served before its refill');
    await pool.close();
    // The longest wait is over at once: the pool refills though claims have not paused.
    pool = new WarmPool({ ...h, refill: { quietMs: 60_000, maxWaitMs: 0 } });
    await pool.scheduleSync();
    await claimBoth(['q1', 'q2']);
    await eventually(() => pool.stats()[0]?.ready === 2, {
      what: 'the refill at the longest wait',
    });
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

  it('does not pool a template with volumes: they belong to the claimant namespace', async () => {
    const t = await h.store.get('SandboxTemplate', { namespace: 'default', name: 'shell' });
    const volumes = [{ name: 'cache', mountPath: '/cache' }];
    await h.store.update({ ...t, spec: { ...t.spec, mounts: [], volumes } });
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

describe('warm pool on a runtime that claims entries itself (as on Kubernetes)', () => {
  let h: Harness;
  let runtime: MemoryRuntime;
  let deps: Harness;
  let pool: WarmPool;
  const settle = async (name: string): Promise<Sandbox> => {
    for (let i = 0; i < 10; i++) {
      const r = await reconcileSandbox({ ...deps, warmPool: pool }, { namespace: 'default', name });
      if (r.requeueAfterMs !== 0) break;
    }
    return h.store.get('Sandbox', { namespace: 'default', name });
  };
  const warmEntries = async () =>
    (await runtime.list()).filter((r) => r.namespace === WARM_POOL_NAMESPACE).map((r) => r.name);

  beforeEach(async () => {
    h = await createHarness();
    runtime = new MemoryRuntime({ claims: true, now: h.now });
    deps = { ...h, runtime };
    await h.apply(
      templateManifest('shell', {
        init: [{ name: 'deps', command: ['true'] }],
        warmPool: { size: 2 },
      }),
    );
    pool = new WarmPool(deps);
    await pool.scheduleSync();
  });
  afterEach(async () => {
    await pool.close();
    await h.close();
  });

  it("names the pool's template in every entry's provision request", async () => {
    const template = await h.store.get('SandboxTemplate', { namespace: 'default', name: 'shell' });
    const requested = [...runtime.warmTemplates.values()];
    assert.equal(requested.length, 2);
    for (const t of requested) {
      assert.deepEqual(t, {
        kind: 'SandboxTemplate',
        name: 'shell',
        namespace: 'default',
        uid: template.metadata.uid,
      });
    }
  });

  it('records the ref the runtime returns, refills, keeps it from orphan collection, and destroys it with its Sandbox', async () => {
    const before = await warmEntries();
    await h.apply(sandboxManifest('a'));
    const s = await settle('a');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(s.status?.fromWarmPool, true);
    const ref = idToRef(s.status?.runtime?.id ?? '');
    assert.ok(ref !== undefined);
    assert.equal(ref.namespace, 'default', "the claimed sandbox lives in its Sandbox's namespace");
    assert.equal(ref.uid, s.metadata.uid, "and is the Sandbox's");
    assert.ok(before.includes(ref.name), 'it is a pre-provisioned entry');
    assert.ok(!runtime.calls.some((c) => c.startsWith('hostname ')), 'claim, not setHostname');
    assert.ok(!runtime.calls.includes('provision default/a'), 'no cold provisioning');
    assert.equal((await runtime.observe(ref)).state, 'running');
    await eventually(() => pool.stats()[0]?.ready === 2, { what: 'the pool refilled' });
    assert.equal(pool.stats()[0]?.hits, 1);

    assert.equal(await collectOrphans(h.store, runtime), 0, 'the claimed sandbox is owned');
    assert.equal((await runtime.observe(ref)).state, 'running');

    await h.store.delete('Sandbox', { namespace: 'default', name: 'a' });
    await reconcileSandbox({ ...deps, warmPool: pool }, { namespace: 'default', name: 'a' });
    assert.equal((await runtime.observe(ref)).state, 'absent', 'destroyed by its recorded ref');
  });

  it('re-adopts unclaimed entries after a restart, leaving the claimed one alone', async () => {
    await h.apply(sandboxManifest('a'));
    const s = await settle('a');
    await pool.scheduleSync();
    const entries = (await warmEntries()).sort();
    assert.equal(entries.length, 2, 'the claimed entry left the pool');
    const restartedRuntime = runtime.restarted();
    const restarted = new WarmPool({ ...deps, runtime: restartedRuntime });
    await restarted.scheduleSync();
    assert.equal(restarted.stats()[0]?.ready, 2);
    assert.deepEqual((await warmEntries()).sort(), entries, 'nothing provisioned or destroyed');
    const ref = idToRef(s.status?.runtime?.id ?? '');
    assert.ok(ref !== undefined);
    assert.equal((await restartedRuntime.observe(ref)).state, 'running');
    await restarted.close();
  });

  it('starts cold when the runtime refuses the claim, destroying the entry', async () => {
    const before = await warmEntries();
    // Something holds the name each entry would take in the Sandbox's namespace: claims conflict.
    for (const name of before)
      await runtime.provision({ namespace: 'default', name, uid: 'squatter', spec: {} });
    await h.apply(sandboxManifest('b'));
    const s = await settle('b');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(s.status?.fromWarmPool, false);
    assert.match(s.status?.runtime?.id ?? '', /^default\/b\//);
    assert.ok(
      before.some((name) => runtime.calls.includes(`destroy ${WARM_POOL_NAMESPACE}/${name}`)),
      'the entry that could not be claimed is destroyed',
    );
    assert.equal(pool.stats()[0]?.hits, 0);
  });

  it('hands out no entry the runtime no longer holds', async () => {
    for (const name of await warmEntries()) {
      const [ref] = (await runtime.list()).filter((r) => r.name === name);
      if (ref !== undefined) await runtime.destroy(ref);
    }
    const calls = runtime.calls.length;
    await pool.scheduleSync();
    assert.equal(pool.stats()[0]?.ready, 2, 'refilled with new entries');
    assert.equal(
      runtime.calls.slice(calls).filter((c) => c.startsWith('provision ')).length,
      2,
      'two new entries provisioned',
    );
  });
});
