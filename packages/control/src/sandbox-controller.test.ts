import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type ResourceStore, type Sandbox } from '@paddock/core';
import { openSqliteStore } from '@paddock/store-sqlite';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { MemoryEventRecorder } from './event-recorder.ts';
import {
  collectOrphans,
  type SandboxController,
  startSandboxController,
} from './sandbox-controller.ts';
import { sandboxManifest, templateManifest } from './test-harness.ts';

const at = (name: string) => ({ namespace: 'default', name });

/** The sandbox once its phase is `phase`; a timeout names its last status. */
function phaseReached(store: ResourceStore, name: string, phase: string): Promise<Sandbox> {
  return eventually(
    async () => {
      const s = await store.get('Sandbox', at(name));
      assert.equal(s.status?.phase, phase, `status ${JSON.stringify(s.status)}`);
      return s;
    },
    { what: `sandbox ${name} ${phase}`, intervalMs: 5 },
  );
}

/** Resolves once the sandbox is gone from the store. */
function gone(store: ResourceStore, name: string): Promise<true> {
  return eventually(
    async () => {
      try {
        await store.get('Sandbox', at(name));
        return false;
      } catch (e) {
        if (isPaddockError(e, 'not_found')) return true;
        throw e;
      }
    },
    { what: `sandbox ${name} deleted`, intervalMs: 5 },
  );
}

describe('sandbox controller (watch-driven)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-controller-'));
  let store: Awaited<ReturnType<typeof openSqliteStore>>;
  let controller: SandboxController;
  const runtime = new MemoryRuntime();

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    await store.create(templateManifest('shell', { warmPool: { size: 1 } }));
    controller = await startSandboxController({
      store,
      runtime,
      events: new MemoryEventRecorder(),
      resyncMs: 60_000,
    });
  });
  after(async () => {
    await controller.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a created sandbox to Running without being asked', async () => {
    await store.create(sandboxManifest('live'));
    const s = await phaseReached(store, 'live', 'Running');
    assert.ok(s.metadata.finalizers?.includes('paddock.dev/sandbox-runtime'));
  });

  it('reacts to a spec change and to a delete', async () => {
    const s = await phaseReached(store, 'live', 'Running');
    await store.update({ ...s, spec: { ...s.spec, desiredState: 'Stopped' } });
    await phaseReached(store, 'live', 'Stopped');
    await store.delete('Sandbox', { namespace: 'default', name: 'live' });
    await gone(store, 'live');
    const id = s.status?.runtime?.id ?? '';
    assert.ok(
      !(await runtime.list()).some((r) => id.includes(`/${r.name}/`)),
      'runtime state destroyed',
    );
  });

  it('keeps the warm pool filled from template changes', async () => {
    await eventually(() => controller.warmPool.stats()[0]?.ready === 1, {
      what: 'one ready sandbox in the warm pool',
      intervalMs: 5,
    });
  });
});

describe('orphan collection', () => {
  it('destroys runtime sandboxes no Sandbox owns, and keeps owned ones and warm entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-orphans-'));
    const store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    try {
      const runtime = new MemoryRuntime();
      const owned = await store.create(sandboxManifest('owned'));
      await runtime.provision({
        namespace: 'default',
        name: 'owned',
        uid: owned.metadata.uid ?? '',
        spec: {},
      });
      await runtime.provision({ namespace: 'default', name: 'stale-uid', uid: 'gone', spec: {} });
      await runtime.provision({ namespace: 'paddock-warm', name: 'w-abc-1', uid: 'x', spec: {} });
      assert.equal(await collectOrphans(store, runtime), 1);
      assert.deepEqual((await runtime.list()).map((r) => `${r.namespace}/${r.name}`).sort(), [
        'default/owned',
        'paddock-warm/w-abc-1',
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a runtime that cannot list its sandboxes delays collection, not the controller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-orphans-'));
    const store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    const logs: string[] = [];
    const runtime = new MemoryRuntime();
    runtime.list = async () => {
      throw new Error('the cluster serves no pods');
    };
    let started: SandboxController | undefined;
    try {
      await store.create(templateManifest('shell'));
      started = await startSandboxController({
        store,
        runtime,
        events: new MemoryEventRecorder(),
        log: (line) => logs.push(line),
      });
      await store.create(sandboxManifest('still-served'));
      await phaseReached(store, 'still-served', 'Running');
      assert.ok(
        logs.includes('collecting orphaned sandboxes: the cluster serves no pods'),
        logs.join('\n'),
      );
    } finally {
      await started?.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
