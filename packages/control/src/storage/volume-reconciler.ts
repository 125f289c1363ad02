/**
 * The Volume reconciler: creates the volume in the runtime (Pending → Available | Failed),
 * reports its usage and the sandboxes that mount it, and holds a deleted volume (its finalizer)
 * until no sandbox mounts it any more; then deletes its data.
 */
import {
  ConditionStatus,
  type EventRecorder,
  EventType,
  isPaddockError,
  type ObjectKey,
  type ResourceStore,
  type Sandbox,
  type SandboxRuntime,
  setCondition,
  type Volume,
  type VolumeEvent,
  VolumePhase,
  VolumeReason,
  type VolumeRef,
  type VolumeStatus,
  volumeSizeBytes,
} from '@paddock/core';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../kit/finalizers.ts';
import { StatusWriter } from '../kit/status-writer.ts';
import type { ReconcileResult } from '../kit/work-queue.ts';
import { volumeLifecycle } from './storage-lifecycles.ts';

/** Held on every Volume until no sandbox mounts it and its data is deleted. */
export const VOLUME_FINALIZER = 'paddock.dev/volume-protection';

/** Usage is looked at again this often. */
const USAGE_REFRESH_MS = 60_000;
/** A volume that could not be created is tried again after this long. */
const RETRY_FAILED_MS = 30_000;

export type VolumeReconcileDeps = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now: () => Date;
};

export function volumeRefOf(volume: Volume): VolumeRef {
  return {
    namespace: volume.metadata.namespace ?? 'default',
    name: volume.metadata.name ?? '',
    uid: volume.metadata.uid ?? '',
  };
}

/** The volume names a sandbox mounts: its own `spec.volumes` and its resolved template's. */
export function volumesOf(sandbox: Sandbox): string[] {
  const names = [...(sandbox.spec.volumes ?? []), ...(sandbox.status?.resolved?.volumes ?? [])].map(
    (mount) => mount.name,
  );
  return [...new Set(names)];
}

/** Sandboxes of the volume's namespace that mount it (a deleting one until it is gone). */
export async function sandboxesMounting(store: ResourceStore, volume: Volume): Promise<string[]> {
  const { items } = await store.list('Sandbox', {
    namespace: volume.metadata.namespace ?? 'default',
  });
  return items
    .filter((s) => volumesOf(s).includes(volume.metadata.name ?? ''))
    .map((s) => s.metadata.name ?? '')
    .sort();
}

/** One idempotent step of a Volume; safe to retry at any line. */
export async function reconcileVolume(
  deps: VolumeReconcileDeps,
  key: ObjectKey,
): Promise<ReconcileResult> {
  let volume: Volume;
  try {
    volume = await deps.store.get('Volume', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return {};
    throw error;
  }
  const status: StatusWriter<Volume, VolumeStatus, VolumeEvent> = new StatusWriter(
    volumeLifecycle,
    deps,
  );
  const mountedBy = await sandboxesMounting(deps.store, volume);
  if (volume.metadata.deletionTimestamp) {
    if (!hasFinalizer(volume, VOLUME_FINALIZER)) return {};
    if (mountedBy.length > 0) {
      await holdInUse(deps, status, volume, mountedBy);
      return {};
    }
    await deps.runtime.volumes?.remove(volumeRefOf(volume));
    await removeFinalizer(deps.store, volume, VOLUME_FINALIZER);
    return {};
  }
  volume = await addFinalizer(deps.store, volume, VOLUME_FINALIZER);
  const storage = deps.runtime.volumes;
  const current = status.current(volume);
  if (storage === undefined) {
    if (current.phase === VolumePhase.Failed) return {};
    await status.transition(
      volume,
      [{ type: 'ProvisionFailed', message: `the ${deps.runtime.name} runtime has no volumes` }],
      { mountedBy },
    );
    return {};
  }
  let observed: Awaited<ReturnType<typeof storage.ensure>>;
  try {
    observed = await storage.ensure(volumeRefOf(volume), volumeSizeBytes(volume.spec));
  } catch (error) {
    if (!isPaddockError(error) || current.phase === VolumePhase.Available) throw error;
    if (current.message !== error.message) {
      await status.transition(volume, [{ type: 'ProvisionFailed', message: error.message }], {
        mountedBy,
      });
    }
    return { requeueAfterMs: RETRY_FAILED_MS };
  }
  const usage: Partial<VolumeStatus> = {
    mountedBy,
    ...(observed.usedBytes === undefined ? {} : { usedBytes: observed.usedBytes }),
    ...(observed.capacityBytes === undefined ? {} : { capacityBytes: observed.capacityBytes }),
    conditions: inUseCondition(status.current(volume).conditions, mountedBy, deps.now()),
  };
  if (current.phase !== VolumePhase.Available) {
    await status.transition(volume, [{ type: 'Provisioned' }], usage);
  } else {
    await status.patch(volume, usage);
  }
  return { requeueAfterMs: USAGE_REFRESH_MS };
}

function inUseCondition(
  conditions: VolumeStatus['conditions'],
  mountedBy: readonly string[],
  now: Date,
): VolumeStatus['conditions'] {
  const isInUse = mountedBy.length > 0;
  return setCondition(
    conditions,
    {
      type: 'InUse',
      status: isInUse ? ConditionStatus.True : ConditionStatus.False,
      reason: isInUse ? VolumeReason.Mounted : VolumeReason.NotMounted,
      message: isInUse ? `mounted by sandboxes ${mountedBy.join(', ')}` : 'mounted by no sandbox',
    },
    now,
  );
}

/** A deleted volume still mounted: said on its status and timeline, kept until they go. */
async function holdInUse(
  deps: VolumeReconcileDeps,
  status: StatusWriter<Volume, VolumeStatus, VolumeEvent>,
  volume: Volume,
  mountedBy: string[],
): Promise<void> {
  const before = status.current(volume);
  const written = await status.patch(volume, {
    mountedBy,
    conditions: inUseCondition(before.conditions, mountedBy, deps.now()),
  });
  if (written === volume) return;
  await status.note(
    written,
    'DeleteWaiting',
    `deletion waits until no sandbox mounts it (mounted by ${mountedBy.join(', ')})`,
    EventType.Warning,
  );
}
