/**
 * The SandboxSnapshot and Volume controllers, started beside the Sandbox controller on the same
 * kit (informers, caches, work queues): snapshots are reconciled on their own events, volumes on
 * theirs and whenever a sandbox that mounts them changes; a sandbox waiting for its
 * `fromSnapshot` is looked at again when that snapshot changes.
 */
import type { EventRecorder, ResourceStore, SandboxRuntime } from '@paddock/core';
import type { Controller } from '../kit/controller.ts';
import type { ControllerManager } from '../kit/manager.ts';
import { queueKey } from '../kit/queue-key.ts';
import { reconcileSnapshot, snapshotRefOf } from './snapshot-reconciler.ts';
import { reconcileVolume, volumesOf } from './volume-reconciler.ts';

export type StorageControllerDeps = {
  runtime: SandboxRuntime;
  events: EventRecorder;
  now: () => Date;
  resyncMs?: number;
};

export type StorageControllers = { snapshots: Controller; volumes: Controller };

/** Registers both controllers on `kit` (before `kit.start()`); `sandboxes` is the Sandbox controller. */
export function watchStorage(
  kit: ControllerManager,
  deps: StorageControllerDeps,
  sandboxes: Controller,
): StorageControllers {
  const store = kit.store;
  const reconcileDeps = { ...deps, store };
  const resync = { resyncMs: deps.resyncMs ?? 60_000 };
  const snapshotInformer = kit.informer('SandboxSnapshot', resync);
  const sandboxInformer = kit.informer('Sandbox');
  const snapshots = kit
    .controller({ name: 'snapshot', reconcile: (key) => reconcileSnapshot(reconcileDeps, key) })
    .watch(snapshotInformer);
  const volumes = kit
    .controller({ name: 'volume', reconcile: (key) => reconcileVolume(reconcileDeps, key) })
    .watch(kit.informer('Volume', resync))
    .watch(sandboxInformer, (sandbox) =>
      volumesOf(sandbox).map((name) => queueKey({ namespace: sandbox.metadata.namespace, name })),
    );
  sandboxes.watch(snapshotInformer, (snapshot) =>
    sandboxInformer
      .list({ namespace: snapshot.metadata.namespace })
      .filter((s) => s.spec.fromSnapshot?.name === snapshot.metadata.name)
      .map((s) => queueKey(s.metadata)),
  );
  return { snapshots, volumes };
}

/** Deletes the runtime's snapshot copies that no SandboxSnapshot owns (left by a crash). */
export async function collectOrphanSnapshots(
  store: ResourceStore,
  runtime: SandboxRuntime,
  log: (line: string) => void = () => {},
): Promise<number> {
  if (runtime.snapshots === undefined) return 0;
  const owned = new Set(
    (await store.list('SandboxSnapshot')).items.map((s) => {
      const ref = snapshotRefOf(s);
      return `${ref.namespace}/${ref.name}/${ref.uid}`;
    }),
  );
  let removed = 0;
  for (const ref of await runtime.snapshots.list()) {
    if (owned.has(`${ref.namespace}/${ref.name}/${ref.uid}`)) continue;
    log(`removing orphaned snapshot ${ref.namespace}/${ref.name}: no SandboxSnapshot owns it`);
    await runtime.snapshots.remove(ref);
    removed++;
  }
  return removed;
}
