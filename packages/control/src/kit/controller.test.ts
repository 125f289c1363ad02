import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ErrorCode,
  PaddockError,
  type Sandbox,
  type SandboxEvent,
  type SandboxStatus,
} from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { MemoryEventRecorder } from '../event-recorder.ts';
import { sandboxLifecycle } from '../lifecycles.ts';
import {
  openTempStores,
  sandboxManifest,
  type TempStores,
  templateManifest,
} from '../test-harness.ts';
import type { ReconcileOutcome } from './controller.ts';
import { ControllerManager } from './manager.ts';
import { StatusWriter } from './status-writer.ts';

describe('controller kit', () => {
  let stores: TempStores;
  let kit: ControllerManager;
  let events: MemoryEventRecorder;
  let logs: string[];
  let status: StatusWriter<Sandbox, SandboxStatus, SandboxEvent>;
  const phaseOf = async (name: string) =>
    (await stores.store.get('Sandbox', { namespace: 'default', name })).status?.phase;

  beforeEach(async () => {
    stores = await openTempStores();
    logs = [];
    kit = new ControllerManager(stores.store, { log: (line) => logs.push(line) });
    events = new MemoryEventRecorder();
    status = new StatusWriter(sandboxLifecycle, {
      store: kit.store,
      events,
      now: () => new Date(),
    });
  });
  afterEach(async () => {
    await kit.stop();
    await stores.close();
  });

  /** Admits a Pending sandbox: one transition of the object read from the cache. */
  const admit = async (sandbox: Sandbox) => {
    if (status.current(sandbox).phase === 'Pending')
      await status.transition(sandbox, [{ type: 'Admitted' }]);
    return {};
  };

  it('reconciles what its informer lists and watches, reading from its cache', async () => {
    const seen: string[] = [];
    const controller = kit
      .controller({
        name: 'test',
        reconcile: async (key) => {
          seen.push(key.name);
          return admit(await kit.store.get('Sandbox', key));
        },
      })
      .watch(kit.informer('Sandbox'));
    await stores.store.create(sandboxManifest('listed'));
    await kit.start();
    await stores.store.create(sandboxManifest('watched'));
    await eventually(async () => (await phaseOf('watched')) === 'Creating', {
      what: 'the watched one',
      intervalMs: 5,
    });
    await controller.idle(); // its event is recorded after the write that made it Creating
    assert.equal(await phaseOf('listed'), 'Creating');
    assert.ok(seen.includes('listed') && seen.includes('watched'));
    assert.deepEqual(
      events
        .list()
        .map((e) => `${e.name} ${e.reason}`)
        .sort(),
      ['listed Admitted', 'watched Admitted'],
    );
  });

  it('retries a write from a stale read until it lands, recording its event once', async () => {
    let attempts = 0;
    const controller = kit
      .controller({
        name: 'test',
        backoff: { baseMs: 1, maxMs: 10 },
        reconcile: async (key) => {
          attempts++;
          const read = await kit.store.get('Sandbox', key);
          if (attempts === 1) {
            // Someone else writes between this reconcile's read and its write.
            const metadata = { ...read.metadata, labels: { changed: 'elsewhere' } };
            await stores.store.update({ ...read, metadata });
          }
          return admit(read);
        },
      })
      .watch(kit.informer('Sandbox'));
    await stores.store.create(sandboxManifest('raced'));
    await kit.start();
    await eventually(async () => (await phaseOf('raced')) === 'Creating', {
      what: 'the retried write',
      intervalMs: 5,
    });
    await controller.idle();
    assert.ok(attempts >= 2, 'the conflict was retried');
    const raced = await stores.store.get('Sandbox', { namespace: 'default', name: 'raced' });
    assert.equal(raced.metadata.labels?.changed, 'elsewhere', 'the other write is kept');
    assert.deepEqual(
      events.list().map((e) => e.reason),
      ['Admitted'],
    );
    assert.deepEqual(logs, [], 'a conflict is retried quietly');
  });

  it('runs no pass for the echo of a write its last pass settled at, and one for any other change', async () => {
    const passes: Record<string, number> = {};
    const informer = kit.informer('Sandbox');
    const controller = kit
      .controller({
        name: 'test',
        reconcile: async (key) => {
          passes[key.name] = (passes[key.name] ?? 0) + 1;
          const read = await kit.store.get('Sandbox', key);
          if (status.current(read).phase !== 'Pending') return {};
          const written = await status.transition(read, [{ type: 'Admitted' }]);
          // `settles` says where it settled; `echoes` does not, so its own write brings it back.
          const version = written.metadata.resourceVersion ?? '';
          return key.name === 'settles' ? { settledVersion: version } : {};
        },
      })
      .watch(informer);
    await kit.start();
    const written = await Promise.all(
      ['settles', 'echoes'].map((name) => stores.store.create(sandboxManifest(name))),
    );
    // Each one's status write has reached the cache, so its echo has been offered to the queue.
    const isEchoed = (created: Sandbox) =>
      Number(
        informer.get({ namespace: 'default', name: created.metadata.name ?? '' })?.metadata
          .resourceVersion,
      ) > Number(created.metadata.resourceVersion);
    await eventually(() => written.every(isEchoed), { what: 'both echoes', intervalMs: 5 });
    await controller.idle();
    assert.deepEqual(passes, { settles: 1, echoes: 2 });
    const settled = await stores.store.get('Sandbox', { namespace: 'default', name: 'settles' });
    await stores.store.update({
      ...settled,
      metadata: { ...settled.metadata, labels: { changed: 'elsewhere' } },
    });
    await eventually(() => passes.settles === 2, { what: 'a pass for the change', intervalMs: 5 });
  });

  it('maps another kind’s events to the objects they concern', async () => {
    const seen: string[] = [];
    kit
      .controller({
        name: 'test',
        reconcile: async (key) => {
          seen.push(`${key.namespace}/${key.name}`);
          return {};
        },
      })
      .watch(kit.informer('SandboxTemplate'), (t) => [`default/uses-${t.metadata.name}`]);
    await kit.start();
    await stores.store.create(templateManifest('shell'));
    await eventually(() => seen.length > 0, { what: 'the mapped key', intervalMs: 5 });
    assert.deepEqual(seen, ['default/uses-shell']);
  });

  it('logs a failure other than a conflict and retries it with backoff', async () => {
    let attempts = 0;
    kit
      .controller({
        name: 'test',
        backoff: { baseMs: 1, maxMs: 10 },
        reconcile: async () => {
          attempts++;
          if (attempts < 3) throw new Error(`broken ${attempts}`);
          return {};
        },
      })
      .watch(kit.informer('Sandbox'));
    await stores.store.create(sandboxManifest('flaky'));
    await kit.start();
    await eventually(() => attempts === 3, { what: 'the third attempt', intervalMs: 5 });
    assert.deepEqual(logs, [
      'reconcile test default/flaky: broken 1',
      'reconcile test default/flaky: broken 2',
    ]);
  });

  it('reports each reconcile’s outcome and duration, and the keys waiting', async () => {
    const outcomes: ReconcileOutcome[] = [];
    let attempts = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const observed = new ControllerManager(stores.store, { onReconcile: (o) => outcomes.push(o) });
    try {
      observed
        .controller({
          name: 'metered',
          concurrency: 1,
          backoff: { baseMs: 1, maxMs: 10 },
          reconcile: async (key) => {
            attempts++;
            if (key.name === 'first') await held;
            if (attempts === 2) throw new PaddockError(ErrorCode.Conflict, 'stale');
            if (attempts === 3) throw new Error('broken');
            return {};
          },
        })
        .watch(observed.informer('Sandbox'));
      await stores.store.create(sandboxManifest('first'));
      await stores.store.create(sandboxManifest('second'));
      await observed.start();
      // One runs (held), the other waits for the only worker.
      assert.deepEqual(observed.queueDepths(), [{ controller: 'metered', depth: 1 }]);
      release();
      await eventually(() => outcomes.length === 4, { what: 'four reconciles', intervalMs: 5 });
      assert.deepEqual(
        outcomes.map((o) => `${o.controller} ${o.result}`),
        ['metered success', 'metered conflict', 'metered error', 'metered success'],
      );
      assert.ok(outcomes.every((o) => o.durationMs >= 0 && Number.isFinite(o.durationMs)));
      assert.deepEqual(observed.queueDepths(), [{ controller: 'metered', depth: 0 }]);
    } finally {
      await observed.stop();
    }
  });
});
