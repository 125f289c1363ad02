import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyResource, ProvisionRequest, RuntimeObservation } from '@paddock/core';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { MemoryEventRecorder } from './event-recorder.ts';
import { startSandboxController } from './sandbox-controller.ts';
import { openTempStores, sandboxManifest, templateManifest } from './test-harness.ts';

/** The memory runtime, but a provision of a sandbox named `held-*` waits until `release()`. */
class GatedRuntime extends MemoryRuntime {
  readonly waiting = new Set<string>();
  #open: () => void = () => {};
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  override async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    if (request.name.startsWith('held-')) {
      this.waiting.add(request.name);
      await this.#gate;
      this.waiting.delete(request.name);
    }
    return super.provision(request);
  }

  release(): void {
    this.#open();
  }
}

describe('sandbox controller: provisioning across sandboxes', () => {
  it('provisions many sandboxes at once: eight held provisions keep no other sandbox from Running', async () => {
    const stores = await openTempStores();
    const { store } = stores;
    const runtime = new GatedRuntime();
    const controller = await startSandboxController({
      store,
      runtime,
      events: new MemoryEventRecorder(),
      resyncMs: 60_000,
    });
    try {
      await store.create(templateManifest('shell'));
      const held = Array.from({ length: 8 }, (_, i) => `held-${i}`);
      for (const name of held) await store.create(sandboxManifest(name));
      await eventually(() => runtime.waiting.size === held.length, {
        what: `all ${held.length} held provisions in flight at once`,
        intervalMs: 5,
      });
      await store.create(sandboxManifest('free'));
      await eventually(
        async () =>
          (await store.get('Sandbox', { namespace: 'default', name: 'free' })).status?.phase ===
          'Running',
        { what: 'the free sandbox Running while the others are held', intervalMs: 5 },
      );
      runtime.release();
      for (const name of held) {
        await eventually(
          async () =>
            (await store.get('Sandbox', { namespace: 'default', name })).status?.phase ===
            'Running',
          { what: `${name} Running once released`, intervalMs: 5 },
        );
      }
    } finally {
      runtime.release();
      await controller.stop();
      await stores.close();
    }
  });

  it('admits sandboxes created together one at a time: a quota with room for two admits two of five', async () => {
    const stores = await openTempStores();
    const { store } = stores;
    const runtime = new GatedRuntime();
    await store.create(templateManifest('shell'));
    await store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { sandboxes: { maxPerUser: 2 } },
    } as AnyResource);
    // Created before the controller starts: every one is Pending when the first is admitted,
    // and the held starts keep each admitted one Pending (no status written) meanwhile.
    const names = Array.from({ length: 5 }, (_, i) => `held-${i}`);
    for (const name of names) {
      const sandbox = sandboxManifest(name);
      sandbox.metadata.annotations = { 'paddock.dev/owner': 'ada' };
      await store.create(sandbox);
    }
    const controller = await startSandboxController({
      store,
      runtime,
      events: new MemoryEventRecorder(),
      resyncMs: 60_000,
    });
    try {
      const phases = async () =>
        Promise.all(
          names.map(
            async (name) =>
              (await store.get('Sandbox', { namespace: 'default', name })).status?.phase,
          ),
        );
      await eventually(
        async () => (await phases()).filter((phase) => phase === 'Error').length === 3,
        { what: 'three of the five refused', intervalMs: 5 },
      );
      assert.equal(runtime.waiting.size, 2, 'two starts under way');
      runtime.release();
      await eventually(
        async () => (await phases()).filter((phase) => phase === 'Running').length === 2,
        { what: 'the two admitted Running', intervalMs: 5 },
      );
      for (const name of names) {
        const sandbox = await store.get('Sandbox', { namespace: 'default', name });
        if (sandbox.status?.phase === 'Error')
          assert.match(sandbox.status.message ?? '', /user_quota_exceeded/);
      }
      assert.deepEqual((await phases()).sort(), ['Error', 'Error', 'Error', 'Running', 'Running']);
    } finally {
      runtime.release();
      await controller.stop();
      await stores.close();
    }
  });
});
