import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { isPaddockError, type Sandbox, type SandboxStatus } from '@paddock/core';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { MemoryEventRecorder } from './event-recorder.ts';
import { startSandboxController } from './sandbox-controller.ts';
import {
  isStartRequestedAfter,
  START_REQUESTED_ANNOTATION,
  withStartRequest,
} from './sandbox-pause.ts';
import { reconcileSandbox } from './sandbox-reconciler.ts';
import {
  createHarness,
  type Harness,
  openTempStores,
  sandboxManifest,
  templateManifest,
} from './test-harness.ts';

describe('a paused sandbox and its wall clock', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.apply(templateManifest('shell', { timeout: '5m', idleTimeout: '1m' }));
  });
  afterEach(() => h.close());

  const pause = async (name: string): Promise<Sandbox> => {
    const s = await h.settle(name);
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Paused' } });
    const paused = await h.settle(name);
    assert.equal(paused.status?.phase, 'Paused');
    return paused;
  };

  it('stops a paused sandbox at its wall-clock timeout, looked at again only then', async () => {
    await h.apply(sandboxManifest('f'));
    await pause('f');
    h.advance(2 * 60_000); // past its idle timeout: that clock does not run while paused
    const held = await reconcileSandbox(h, { namespace: 'default', name: 'f' });
    assert.equal(held.requeueAfterMs, 3 * 60_000, 'asks to be looked at when it expires');
    let s = await h.settle('f');
    assert.equal(s.status?.phase, 'Paused');
    h.advance(3 * 60_000);
    s = await h.settle('f');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'TimedOut');
    const ref = { namespace: 'default', name: 'f', uid: s.metadata.uid ?? '' };
    assert.equal((await h.runtime.observe(ref)).state, 'stopped', 'its frozen processes ended');
    assert.equal(h.events.list({ name: 'f' }).filter((e) => e.reason === 'TimedOut').length, 1);
  });

  it('stops an idle-paused sandbox at its wall-clock timeout too', async () => {
    await h.apply(sandboxManifest('i'));
    await h.settle('i');
    h.advance(60_000);
    let s = await h.settle('i');
    assert.equal(s.status?.reason, 'IdlePaused');
    h.advance(4 * 60_000);
    s = await h.settle('i');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'TimedOut');
  });

  it('deletes a paused sandbox at its shutdownTime when its shutdownPolicy says Delete', async () => {
    const shutdownTime = new Date(h.now().getTime() + 60_000).toISOString();
    await h.apply(sandboxManifest('sd', { shutdownTime, shutdownPolicy: 'Delete' }));
    await pause('sd');
    const held = await reconcileSandbox(h, { namespace: 'default', name: 'sd' });
    assert.equal(held.requeueAfterMs, 60_000);
    h.advance(60_000);
    const deleting = await h.settle('sd');
    assert.ok(deleting.metadata.deletionTimestamp, 'deleted at its shutdown time');
    await h.settle('sd').catch(() => undefined);
    await assert.rejects(
      h.store.get('Sandbox', { namespace: 'default', name: 'sd' }),
      (e: unknown) => isPaddockError(e, 'not_found'),
    );
  });
});

describe('a paused sandbox expires on the real clock, under the controller', () => {
  let stores: Awaited<ReturnType<typeof openTempStores>>;
  let controller: Awaited<ReturnType<typeof startSandboxController>>;
  before(async () => {
    stores = await openTempStores();
    await stores.store.create(templateManifest('brief', { timeout: '2s' }));
    controller = await startSandboxController({
      store: stores.store,
      runtime: new MemoryRuntime(),
      events: new MemoryEventRecorder(),
      resyncMs: 60_000,
    });
  });
  after(async () => {
    await controller.stop();
    await stores.close();
  });

  it('stops at expiresAt though nothing touches it while paused', async () => {
    const key = { namespace: 'default', name: 'brief-a' };
    await stores.store.create(sandboxManifest(key.name, { templateRef: { name: 'brief' } }));
    const phase = (want: string) =>
      eventually(
        async () => {
          const s = await stores.store.get('Sandbox', key);
          assert.equal(s.status?.phase, want, JSON.stringify(s.status));
          return s;
        },
        { what: `${key.name} ${want}`, intervalMs: 10 },
      );
    const running = await phase('Running');
    await stores.store.update({ ...running, spec: { ...running.spec, desiredState: 'Paused' } });
    await phase('Paused');
    const stopped = await phase('Stopped');
    assert.equal(stopped.status?.reason, 'TimedOut');
  });
});

describe('desiredState: Paused on a runtime that cannot pause', () => {
  let h: Harness;
  let deps: Harness;
  beforeEach(async () => {
    h = await createHarness();
    // The memory runtime without pause and resume, as the Kubernetes pod runtime is.
    const runtime = new Proxy(h.runtime, {
      get: (target, key) => {
        if (key === 'pause' || key === 'resume') return undefined;
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    deps = { ...h, runtime };
    await h.apply(templateManifest('shell'));
  });
  afterEach(() => h.close());

  const settle = async (name: string) => {
    for (let i = 0; i < 20; i++) {
      const { requeueAfterMs } = await reconcileSandbox(deps, { namespace: 'default', name });
      if (requeueAfterMs !== 0) break;
    }
    return h.store.get('Sandbox', { namespace: 'default', name });
  };
  const warnings = (name: string) =>
    h.events.list({ name }).filter((e) => e.reason === 'PauseUnsupported');

  it('warns once per generation, however many passes, and keeps it running', async () => {
    await h.apply(sandboxManifest('k'));
    let s = await settle('k');
    s = await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Paused' } });
    for (let pass = 0; pass < 5; pass++) s = await settle('k');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(warnings('k').length, 1, 'one event for the generation that asked');
    assert.equal(warnings('k')[0]?.type, 'Warning');
    assert.match(warnings('k')[0]?.message ?? '', /cannot pause/);

    s = await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Running' } });
    s = await settle('k');
    s = await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Paused' } });
    for (let pass = 0; pass < 3; pass++) s = await settle('k');
    assert.equal(warnings('k').length, 2, 'asked again: said again, once');
  });

  it('warns once for a sandbox created paused', async () => {
    await h.apply(sandboxManifest('born', { desiredState: 'Paused' }));
    for (let pass = 0; pass < 3; pass++) await settle('born');
    assert.equal(warnings('born').length, 1);
  });
});

describe('a start request', () => {
  const asleep = (status: Partial<SandboxStatus>): Sandbox =>
    ({
      ...sandboxManifest('sleeper'),
      status: { phase: 'Stopped', conditions: [], ...status },
    }) as Sandbox;
  const stampOf = (sandbox: Sandbox) =>
    Date.parse(sandbox.metadata.annotations?.[START_REQUESTED_ANNOTATION] ?? '');

  it('is stamped after the stop it answers, even in the same millisecond or on a clock behind', () => {
    const stoppedAt = '2026-12-07T10:00:00.500Z';
    for (const now of ['2026-12-07T10:00:00.500Z', '2026-12-07T09:59:59.000Z']) {
      const asked = withStartRequest(asleep({ stoppedAt }), new Date(now));
      assert.equal(asked.spec.desiredState, 'Running');
      assert.ok(isStartRequestedAfter(asked, stoppedAt), now);
    }
  });

  it('is stamped after a pause too, and at the clock once the clock has moved on', () => {
    const pausedAt = '2026-12-07T10:00:00.500Z';
    const paused = asleep({ phase: 'Paused', pausedAt });
    assert.ok(isStartRequestedAfter(withStartRequest(paused, new Date(pausedAt)), pausedAt));
    const later = new Date('2026-12-07T10:05:00.000Z');
    assert.equal(stampOf(withStartRequest(paused, later)), later.getTime());
  });
});
