/**
 * What a sandbox's provision needs of snapshots and volumes, read with the rights of the
 * sandbox's owner: the snapshot it starts from (ready), and the volumes it mounts (available).
 * A snapshot or volume still being made is waited for (a `conflict`, retried by the work queue
 * and woken by the snapshot's events); one missing, failed, being deleted or not the owner's is
 * a refusal naming the field (`validation_failed` with `details.step`), which fails the sandbox.
 */
import {
  ErrorCode,
  isPaddockError,
  type Kind,
  PaddockError,
  type ResourceStore,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxSnapshot,
  SnapshotPhase,
  type SnapshotRef,
  type Volume,
  VolumePhase,
} from '@paddock/core';
import { isUsableBy, ownerOf } from '../access/ownership.ts';

function refused(step: string, field: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${field}: ${message}`, {
    step,
    issues: [{ path: field, message }],
  });
}

function waiting(what: string): PaddockError {
  return new PaddockError(ErrorCode.Conflict, `waiting for ${what}`);
}

async function find<K extends 'SandboxSnapshot' | 'Volume'>(
  store: ResourceStore,
  kind: K,
  namespace: string,
  name: string,
) {
  try {
    return (await store.get(kind as Kind, { namespace, name })) as K extends 'Volume'
      ? Volume
      : SandboxSnapshot;
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return undefined;
    throw error;
  }
}

/** The runtime ref of the ready snapshot `sandbox.spec.fromSnapshot` names, if any. */
export async function snapshotToStartFrom(
  store: ResourceStore,
  sandbox: Sandbox,
): Promise<SnapshotRef | undefined> {
  const name = sandbox.spec.fromSnapshot?.name;
  if (name === undefined) return undefined;
  const namespace = sandbox.metadata.namespace ?? 'default';
  const field = 'spec.fromSnapshot.name';
  const snapshot = await find(store, 'SandboxSnapshot', namespace, name);
  const what = `snapshot ${namespace}/${name}`;
  if (snapshot === undefined || !isUsableBy(ownerOf(sandbox), snapshot))
    throw refused('snapshot', field, `${what} not found`);
  if (snapshot.metadata.deletionTimestamp)
    throw refused('snapshot', field, `${what} is being deleted`);
  switch (snapshot.status?.phase ?? SnapshotPhase.Pending) {
    case SnapshotPhase.Pending:
      throw waiting(`${what} to be captured`);
    case SnapshotPhase.Failed:
      throw refused('snapshot', field, `${what} failed: ${snapshot.status?.message ?? ''}`);
    case SnapshotPhase.Ready:
      return { namespace, name, uid: snapshot.metadata.uid ?? '' };
  }
}

/** Checks that every volume the resolved spec mounts is there, available and the owner's. */
export async function requireMountableVolumes(
  store: ResourceStore,
  sandbox: Sandbox,
  spec: SandboxEnvironment,
): Promise<void> {
  const namespace = sandbox.metadata.namespace ?? 'default';
  for (const [i, mount] of (spec.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}].name`;
    const what = `volume ${namespace}/${mount.name}`;
    const volume = await find(store, 'Volume', namespace, mount.name);
    if (volume === undefined || !isUsableBy(ownerOf(sandbox), volume))
      throw refused('volumes', field, `${what} not found`);
    if (volume.metadata.deletionTimestamp)
      throw refused('volumes', field, `${what} is being deleted`);
    switch (volume.status?.phase ?? VolumePhase.Pending) {
      case VolumePhase.Pending:
        throw waiting(`${what} to be available`);
      case VolumePhase.Failed:
        throw refused('volumes', field, `${what} failed: ${volume.status?.message ?? ''}`);
      case VolumePhase.Available:
        break;
    }
  }
}
