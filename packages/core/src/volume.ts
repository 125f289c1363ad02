/**
 * `Volume`: named, namespaced storage that outlives sandboxes. A Sandbox (or its template) mounts
 * volumes of its own namespace by name (`spec.volumes`), read-only or read-write; several
 * sandboxes may mount one volume at once. `spec.size` caps it where the runtime can enforce a
 * size; the volume controller reports its usage and the sandboxes mounting it, and keeps a volume
 * in use from being deleted.
 */
import { z } from 'zod';
import { Condition, ConditionStatus, setCondition } from './conditions.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { API_VERSION, ObjectMeta, ResourceName } from './metadata.ts';
import { mountPathProblem } from './mount-paths.ts';
import { parseQuantity, quantityToInteger, STORAGE_SIZE_BOUNDS, StorageSize } from './quantity.ts';

export const VolumePhase = {
  Pending: 'Pending',
  Available: 'Available',
  Failed: 'Failed',
} as const;
export type VolumePhase = (typeof VolumePhase)[keyof typeof VolumePhase];

/** Reasons of a volume's status and conditions (a closed set). */
export const VolumeReason = {
  Provisioned: 'Provisioned',
  ProvisionFailed: 'ProvisionFailed',
  /** `InUse` condition: mounted by sandboxes (a delete waits for them). */
  Mounted: 'Mounted',
  NotMounted: 'NotMounted',
} as const;
export type VolumeReason = (typeof VolumeReason)[keyof typeof VolumeReason];

/** The sizes a volume may have: as a workspace's, 16Mi to 16Ti. */
export const VOLUME_SIZE_BOUNDS = STORAGE_SIZE_BOUNDS;

export const VolumeSpec = z.strictObject({
  /**
   * Capacity (`1Gi`): writes past it fail with ENOSPC inside the sandboxes, where the runtime can
   * enforce it (locally: as root, with loop devices). Unbounded when absent. Fixed at creation.
   */
  size: StorageSize.optional(),
});
export type VolumeSpec = z.infer<typeof VolumeSpec>;

export const VolumeStatus = z.strictObject({
  phase: z.enum([VolumePhase.Pending, VolumePhase.Available, VolumePhase.Failed]),
  observedGeneration: z.int().nonnegative().optional(),
  conditions: z.array(Condition).default([]),
  reason: z.string().optional(),
  message: z.string().optional(),
  /** Bytes stored in it. */
  usedBytes: z.int().nonnegative().optional(),
  /** Bytes it may hold, when its size is enforced. */
  capacityBytes: z.int().nonnegative().optional(),
  /** Sandboxes (of its namespace) whose spec mounts it, running or not. */
  mountedBy: z.array(ResourceName).optional(),
});
export type VolumeStatus = z.infer<typeof VolumeStatus>;

export const Volume = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Volume'),
  metadata: ObjectMeta,
  spec: VolumeSpec,
  status: VolumeStatus.optional(),
});
export type Volume = z.infer<typeof Volume>;

/**
 * A volume mounted into a sandbox: the Volume `name` (of the sandbox's namespace) at `mountPath`
 * (the rules of template mounts: never over the system, `/workspace`, `/home/user` or `/tmp`;
 * inside them is fine), read-write unless `readOnly`.
 */
export const VolumeMount = z
  .strictObject({
    name: ResourceName,
    mountPath: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path'),
    readOnly: z.boolean().optional(),
  })
  .superRefine((mount, ctx) => {
    const problem = mount.mountPath.startsWith('/') ? mountPathProblem(mount.mountPath) : undefined;
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['mountPath'], message: problem });
  });
export type VolumeMount = z.infer<typeof VolumeMount>;

/** The capacity of a volume spec in bytes, or undefined when unbounded. */
export function volumeSizeBytes(spec: VolumeSpec): number | undefined {
  return spec.size === undefined ? undefined : Number(quantityToInteger(parseQuantity(spec.size)));
}

/** The lifecycle events of a volume. */
export type VolumeEvent =
  | { type: 'Provisioned'; message?: string }
  | { type: 'ProvisionFailed'; message: string };

type VolumeState = Pick<VolumeStatus, 'phase' | 'conditions' | 'reason' | 'message'>;

/**
 * `(state, event, now) → state` of a volume: `Pending` (or `Failed`, retried) takes
 * `Provisioned` (→ `Available`) and `ProvisionFailed` (→ `Failed`); an `Available` volume takes
 * a repeated `Provisioned` only (`invalid_transition` otherwise).
 */
export function transitionVolume<S extends VolumeState>(
  state: S,
  event: VolumeEvent,
  now: Date,
): S {
  const ready = (status: ConditionStatus, reason: VolumeReason, message: string) =>
    setCondition(state.conditions, { type: 'Ready', status, reason, message }, now);
  switch (event.type) {
    case 'Provisioned': {
      if (state.phase === VolumePhase.Available) return state;
      const message = event.message ?? 'ready to mount';
      return {
        ...state,
        phase: VolumePhase.Available,
        reason: VolumeReason.Provisioned,
        message,
        conditions: ready(ConditionStatus.True, VolumeReason.Provisioned, message),
      };
    }
    case 'ProvisionFailed':
      if (state.phase === VolumePhase.Available) {
        throw new PaddockError(
          ErrorCode.InvalidTransition,
          'an Available volume does not take ProvisionFailed',
        );
      }
      return {
        ...state,
        phase: VolumePhase.Failed,
        reason: VolumeReason.ProvisionFailed,
        message: event.message,
        conditions: ready(ConditionStatus.False, VolumeReason.ProvisionFailed, event.message),
      };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled volume event ${JSON.stringify(unknown)}`);
    }
  }
}

/** Identifies a volume to a runtime; `uid` guards against a recreated one of the same name. */
export type VolumeRef = { namespace: string; name: string; uid: string };

/** What a runtime sees of a volume. */
export type VolumeObservation = {
  exists: boolean;
  usedBytes?: number;
  /** Set when the runtime enforces the size. */
  capacityBytes?: number;
};

/**
 * The volume half of a runtime (`SandboxRuntime.volumes`). Sandboxes whose spec names volumes
 * get them mounted at start (a volume not created here is `validation_failed` naming it).
 */
export interface VolumeStorage {
  /**
   * Creates the volume (capped at `sizeBytes` when given), or observes it when it exists with
   * that uid. `conflict` when one of that name exists with another uid; `validation_failed` for
   * a size that differs from the existing one's; `runtime_unavailable` when a size cannot be
   * enforced here (say why).
   */
  ensure(volume: VolumeRef, sizeBytes: number | undefined): Promise<VolumeObservation>;
  observe(volume: VolumeRef): Promise<VolumeObservation>;
  /** Deletes the volume and its data. Idempotent; another uid's volume is left alone. */
  remove(volume: VolumeRef): Promise<void>;
}
