/**
 * The SandboxSnapshot reconciler: captures the named sandbox's workspace (and memory, where the
 * runtime can) once (Pending → Ready |
 * Failed), deletes the runtime's copy when the snapshot is deleted (never when its sandbox is),
 * and enforces retention: `ttl` deletes a snapshot that long after its capture; `keepLast` keeps
 * only the newest ready snapshots of the same sandbox.
 */
import {
  type EventRecorder,
  isPaddockError,
  type ObjectKey,
  parseDurationMs,
  type ResourceStore,
  type Sandbox,
  type SandboxRuntime,
  type SandboxSnapshot,
  type SandboxSnapshotStatus,
  type SnapshotEvent,
  SnapshotPhase,
  type SnapshotRef,
} from '@paddock/core';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../kit/finalizers.ts';
import { StatusWriter } from '../kit/status-writer.ts';
import type { ReconcileResult } from '../kit/work-queue.ts';
import { runtimeRefOf } from '../runtime-ref.ts';
import { snapshotLifecycle } from './storage-lifecycles.ts';

/** Held on every SandboxSnapshot until the runtime's copy is deleted. */
export const SNAPSHOT_FINALIZER = 'paddock.dev/snapshot-data';

/** How often a snapshot waiting for its sandbox to be provisioned looks again. */
const WAIT_FOR_SANDBOX_MS = 500;

/** Sandbox phases a workspace can be copied in. */
const COPYABLE = new Set(['Running', 'Stopped', 'Paused']);

export type SnapshotReconcileDeps = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now: () => Date;
};

type Writer = StatusWriter<SandboxSnapshot, SandboxSnapshotStatus, SnapshotEvent>;

export function snapshotRefOf(snapshot: SandboxSnapshot): SnapshotRef {
  return {
    namespace: snapshot.metadata.namespace ?? 'default',
    name: snapshot.metadata.name ?? '',
    uid: snapshot.metadata.uid ?? '',
  };
}

async function findSandbox(store: ResourceStore, key: ObjectKey): Promise<Sandbox | undefined> {
  try {
    return await store.get('Sandbox', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return undefined;
    throw error;
  }
}

/** One idempotent step of a SandboxSnapshot; safe to retry at any line. */
export async function reconcileSnapshot(
  deps: SnapshotReconcileDeps,
  key: ObjectKey,
): Promise<ReconcileResult> {
  let snapshot: SandboxSnapshot;
  try {
    snapshot = await deps.store.get('SandboxSnapshot', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return {};
    throw error;
  }
  if (snapshot.metadata.deletionTimestamp) {
    if (!hasFinalizer(snapshot, SNAPSHOT_FINALIZER)) return {};
    await deps.runtime.snapshots?.remove(snapshotRefOf(snapshot));
    await removeFinalizer(deps.store, snapshot, SNAPSHOT_FINALIZER);
    return {};
  }
  snapshot = await addFinalizer(deps.store, snapshot, SNAPSHOT_FINALIZER);
  const status: Writer = new StatusWriter(snapshotLifecycle, deps);
  switch (status.current(snapshot).phase) {
    case SnapshotPhase.Pending:
      return capture(deps, status, snapshot);
    case SnapshotPhase.Ready:
      return retain(deps, status, snapshot);
    case SnapshotPhase.Failed:
      return {};
  }
}

async function capture(
  deps: SnapshotReconcileDeps,
  status: Writer,
  snapshot: SandboxSnapshot,
): Promise<ReconcileResult> {
  const namespace = snapshot.metadata.namespace ?? 'default';
  const sandboxName = snapshot.spec.sandboxRef.name;
  const fail = async (message: string) => {
    await status.transition(snapshot, [{ type: 'CaptureFailed', message }]);
    return {};
  };
  const storage = deps.runtime.snapshots;
  if (storage === undefined) {
    return fail(`the ${deps.runtime.name} runtime cannot take snapshots`);
  }
  const sandbox = await findSandbox(deps.store, { namespace, name: sandboxName });
  if (sandbox === undefined || sandbox.metadata.deletionTimestamp) {
    return fail(`spec.sandboxRef.name: sandbox ${namespace}/${sandboxName} not found`);
  }
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase === 'Error') {
    return fail(`sandbox ${namespace}/${sandboxName} is in Error: its workspace cannot be copied`);
  }
  if (!COPYABLE.has(phase)) return { requeueAfterMs: WAIT_FOR_SANDBOX_MS };
  const started = await status.transition(snapshot, [{ type: 'CaptureStarted' }]);
  let taken: Awaited<ReturnType<typeof storage.capture>>;
  try {
    taken = await storage.capture(runtimeRefOf(sandbox), snapshotRefOf(snapshot));
  } catch (error) {
    // Lost its sandbox meanwhile, or refused for good: said once; anything else is retried.
    if (
      isPaddockError(error) &&
      ['sandbox_not_found', 'validation_failed', 'insufficient_storage'].includes(error.code)
    ) {
      await status.transition(started, [{ type: 'CaptureFailed', message: error.message }]);
      return {};
    }
    throw error;
  }
  const ttl = snapshot.spec.retention?.ttl;
  const ttlMs = ttl === undefined ? 0 : parseDurationMs(ttl);
  const ready = await status.transition(
    started,
    [
      {
        type: 'Captured',
        message:
          taken.memoryBytes === undefined
            ? `workspace copied (${taken.sizeBytes} bytes, ${taken.consistency})`
            : `workspace and memory copied (${taken.sizeBytes} bytes, memory ${taken.memoryBytes} bytes, ${taken.consistency})`,
      },
    ],
    {
      sizeBytes: taken.sizeBytes,
      ...(taken.memoryBytes === undefined ? {} : { memoryBytes: taken.memoryBytes }),
      contents: taken.contents,
      consistency: taken.consistency,
      ...(taken.memoryNote === undefined ? {} : { memoryNote: taken.memoryNote }),
      createdAt: taken.capturedAt,
      ...(ttlMs > 0
        ? { expiresAt: new Date(Date.parse(taken.capturedAt) + ttlMs).toISOString() }
        : {}),
      source: {
        uid: sandbox.metadata.uid ?? '',
        templateRef: sandbox.spec.templateRef,
        runtime: deps.runtime.name,
      },
    },
  );
  return retain(deps, status, ready);
}

/** Retention of a ready snapshot: its `ttl`, then its `keepLast` over its sandbox's snapshots. */
async function retain(
  deps: SnapshotReconcileDeps,
  status: Writer,
  snapshot: SandboxSnapshot,
): Promise<ReconcileResult> {
  const current = status.current(snapshot);
  const namespace = snapshot.metadata.namespace ?? 'default';
  const now = deps.now().getTime();
  if (current.expiresAt !== undefined && Date.parse(current.expiresAt) <= now) {
    await deleteQuietly(deps.store, { namespace, name: snapshot.metadata.name ?? '' });
    return {};
  }
  const keepLast = snapshot.spec.retention?.keepLast;
  if (keepLast !== undefined) {
    const { items } = await deps.store.list('SandboxSnapshot', { namespace });
    const siblings = items
      .filter(
        (s) =>
          s.spec.sandboxRef.name === snapshot.spec.sandboxRef.name &&
          s.status?.phase === SnapshotPhase.Ready &&
          !s.metadata.deletionTimestamp,
      )
      .sort((a, b) => createdAtOf(b) - createdAtOf(a));
    const newest = siblings[0];
    // The newest snapshot's rule holds: an older one with a looser rule does not undo it.
    if (newest?.metadata.uid === snapshot.metadata.uid) {
      for (const old of siblings.slice(keepLast)) {
        await deleteQuietly(deps.store, { namespace, name: old.metadata.name ?? '' });
      }
    }
  }
  if (current.expiresAt === undefined) return {};
  return { requeueAfterMs: Math.max(0, Date.parse(current.expiresAt) - now) };
}

function createdAtOf(snapshot: SandboxSnapshot): number {
  return Date.parse(snapshot.status?.createdAt ?? snapshot.metadata.creationTimestamp ?? '') || 0;
}

async function deleteQuietly(store: ResourceStore, key: ObjectKey): Promise<void> {
  try {
    await store.delete('SandboxSnapshot', key);
  } catch (error) {
    if (!isPaddockError(error, 'not_found')) throw error;
  }
}
