import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  isPaddockError,
  type Sandbox,
  type SandboxEvent,
  SandboxReason,
  type SandboxStatus,
} from '@paddock/core';
import { MemoryEventRecorder } from '../event-recorder.ts';
import { sandboxLifecycle } from '../lifecycles.ts';
import { openTempStores, sandboxManifest, type TempStores } from '../test-harness.ts';
import { type Lifecycle, StatusWriter } from './status-writer.ts';

const provisioned: SandboxEvent = {
  type: 'Provisioned',
  startupDurationMs: 5,
  fromWarmPool: false,
};

describe('status writer', () => {
  let stores: TempStores;
  let events: MemoryEventRecorder;
  let status: StatusWriter<Sandbox, SandboxStatus, SandboxEvent>;
  let clock: number;
  const reasons = () => events.list({ name: 'box' }).map((e) => `${e.type} ${e.reason}`);
  const box = () => stores.store.get('Sandbox', { namespace: 'default', name: 'box' });

  beforeEach(async () => {
    stores = await openTempStores();
    events = new MemoryEventRecorder();
    clock = Date.parse('2026-01-01T00:00:00Z');
    status = new StatusWriter(sandboxLifecycle, {
      store: stores.store,
      events,
      now: () => new Date(clock),
    });
    await stores.store.create(sandboxManifest('box'));
  });
  afterEach(() => stores.close());

  it('writes phase, conditions and observedGeneration, and one event per transition', async () => {
    const admitted = await status.transition(await box(), [{ type: 'Admitted' }]);
    assert.equal(admitted.status?.phase, 'Creating');
    assert.equal(admitted.status?.observedGeneration, 1);
    assert.equal(admitted.status?.reason, SandboxReason.Provisioning);
    clock += 1000;
    const running = await status.transition(admitted, [provisioned], {
      lastActivityAt: '2026-01-01T00:00:01.000Z',
    });
    assert.equal(running.status?.phase, 'Running');
    assert.equal(running.status?.lastActivityAt, '2026-01-01T00:00:01.000Z', 'the patch');
    const ready = running.status?.conditions.find((c) => c.type === 'Ready');
    assert.deepEqual(
      [ready?.status, ready?.lastTransitionTime],
      ['True', '2026-01-01T00:00:01.000Z'],
    );
    const stopped = await status.transition(running, [{ type: 'TimedOut' }]);
    assert.equal(stopped.status?.phase, 'Stopped');
    assert.deepEqual(reasons(), ['Normal Admitted', 'Normal Provisioned', 'Warning TimedOut']);
    const [event] = events.list({ name: 'box' }).slice(-1);
    assert.equal(event?.message, 'stopped: timeout reached');
    assert.equal(event?.uid, stopped.metadata.uid);
  });

  it('records no event when no transition happens: a patch, an idempotent repeat', async () => {
    let s = await status.transition(await box(), [{ type: 'Admitted' }, provisioned]);
    assert.equal(reasons().length, 2);
    s = await status.patch(s, { lastActivityAt: '2026-01-01T00:05:00.000Z' });
    assert.equal(s.status?.lastActivityAt, '2026-01-01T00:05:00.000Z');
    const version = s.metadata.resourceVersion;
    assert.equal(
      (await status.patch(s, { lastActivityAt: '2026-01-01T00:05:00.000Z' })).metadata
        .resourceVersion,
      version,
      'a patch that changes nothing writes nothing',
    );
    s = await status.transition(s, [{ type: 'DeleteRequested' }]);
    s = await status.transition(s, [{ type: 'DeleteRequested' }]);
    assert.equal(s.status?.phase, 'Deleting');
    assert.deepEqual(reasons(), [
      'Normal Admitted',
      'Normal Provisioned',
      'Normal DeleteRequested',
    ]);
  });

  it('refuses a stale version with a conflict and records nothing', async () => {
    const stale = await box();
    await stores.store.update({ ...stale, metadata: { ...stale.metadata, labels: { a: 'b' } } });
    await assert.rejects(status.transition(stale, [{ type: 'Admitted' }]), (e) =>
      isPaddockError(e, 'conflict'),
    );
    assert.deepEqual(reasons(), []);
    assert.equal((await box()).status?.phase ?? 'Pending', 'Pending');
  });

  it('refuses to write from an object with no version read, and records nothing', async () => {
    const read = await box();
    const { resourceVersion: _, ...metadata } = read.metadata;
    await assert.rejects(
      status.transition({ ...read, metadata }, [{ type: 'Admitted' }]),
      /a status write needs the version read/,
    );
    assert.deepEqual(reasons(), []);
    assert.equal((await box()).metadata.resourceVersion, read.metadata.resourceVersion);
  });

  it('writes nothing for a transition the lifecycle refuses', async () => {
    const s = await box();
    await assert.rejects(status.transition(s, [{ type: 'Started' }]), (e) =>
      isPaddockError(e, 'invalid_transition'),
    );
    assert.equal((await box()).metadata.resourceVersion, s.metadata.resourceVersion);
    assert.deepEqual(reasons(), []);
  });

  it('refuses a reason outside the lifecycle’s closed set', async () => {
    const sloppy: Lifecycle<SandboxStatus, SandboxEvent> = {
      ...sandboxLifecycle,
      transition: (state, event, now) => ({
        ...sandboxLifecycle.transition(state, event, now),
        reason: 'SomethingElse',
      }),
    };
    const writer = new StatusWriter(sloppy, { store: stores.store, events, now: () => new Date() });
    await assert.rejects(writer.transition(await box(), [{ type: 'Admitted' }]), /SomethingElse/);
    assert.equal((await box()).status?.phase ?? 'Pending', 'Pending');
  });
});
