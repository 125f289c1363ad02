/**
 * `SandboxSnapshot`: a named, namespaced copy of a sandbox's workspace (and of its memory where the
 * runtime can checkpoint processes), taken once by the snapshot controller. A snapshot outlives
 * its sandbox; a Sandbox with `spec.fromSnapshot` starts from its copy, which is how a sandbox is
 * forked. Its lifecycle is `Pending → Ready | Failed`; retention (`spec.retention`) deletes it
 * after a time to live, or once newer snapshots of the same sandbox outnumber `keepLast`.
 */
import { z } from 'zod';
import { Condition, ConditionStatus, setCondition } from './conditions.ts';
import { DurationString } from './duration.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { API_VERSION, ObjectMeta, ResourceName, Timestamp } from './metadata.ts';
import type { SandboxRef } from './runtime.ts';
import { TemplateRef } from './template.ts';

export const SnapshotPhase = { Pending: 'Pending', Ready: 'Ready', Failed: 'Failed' } as const;
export type SnapshotPhase = (typeof SnapshotPhase)[keyof typeof SnapshotPhase];

/** What a snapshot holds: the workspace always; memory (the processes) where the runtime can. */
export const SnapshotContent = { Workspace: 'workspace', Memory: 'memory' } as const;
export type SnapshotContent = (typeof SnapshotContent)[keyof typeof SnapshotContent];

/**
 * How the workspace copy was made consistent: the sandbox's processes frozen for the copy
 * (`frozen`), the sandbox stopped (`stopped`), or copied while it ran, with no freezer to hold
 * it still (`live`: a file written during the copy may be caught half-way).
 */
export const SnapshotConsistency = { Frozen: 'frozen', Stopped: 'stopped', Live: 'live' } as const;
export type SnapshotConsistency = (typeof SnapshotConsistency)[keyof typeof SnapshotConsistency];

/** Reasons of a snapshot's status and `Ready` condition (a closed set). */
export const SnapshotReason = {
  Capturing: 'Capturing',
  Captured: 'Captured',
  CaptureFailed: 'CaptureFailed',
} as const;
export type SnapshotReason = (typeof SnapshotReason)[keyof typeof SnapshotReason];

export const SnapshotRetention = z.strictObject({
  /** Deleted this long after it was captured (`7d`, `12h`); kept until deleted when absent. */
  ttl: DurationString.optional(),
  /**
   * Once this snapshot is ready, only the newest `keepLast` ready snapshots of the same sandbox
   * (this one included) are kept; older ones are deleted.
   */
  keepLast: z.int().min(1).max(1000).optional(),
});
export type SnapshotRetention = z.infer<typeof SnapshotRetention>;

export const SandboxSnapshotSpec = z.strictObject({
  /** The sandbox to copy, in the snapshot's namespace. */
  sandboxRef: z.strictObject({ name: ResourceName }),
  retention: SnapshotRetention.optional(),
});
export type SandboxSnapshotSpec = z.infer<typeof SandboxSnapshotSpec>;

const contents = [SnapshotContent.Workspace, SnapshotContent.Memory] as const;
const consistencies = [
  SnapshotConsistency.Frozen,
  SnapshotConsistency.Stopped,
  SnapshotConsistency.Live,
] as const;

export const SandboxSnapshotStatus = z.strictObject({
  phase: z.enum([SnapshotPhase.Pending, SnapshotPhase.Ready, SnapshotPhase.Failed]),
  observedGeneration: z.int().nonnegative().optional(),
  conditions: z.array(Condition).default([]),
  reason: z.string().optional(),
  message: z.string().optional(),
  /** Bytes the copy takes on disk (workspace and memory). */
  sizeBytes: z.int().nonnegative().optional(),
  /** Bytes of its memory image, when `contents` has `memory`. */
  memoryBytes: z.int().nonnegative().optional(),
  contents: z.array(z.enum(contents)).optional(),
  consistency: z.enum(consistencies).optional(),
  /** Why memory is not in it, when it is not (the runtime cannot checkpoint this sandbox now). */
  memoryNote: z.string().optional(),
  /** When the copy was taken. */
  createdAt: Timestamp.optional(),
  /** When retention's `ttl` deletes it. */
  expiresAt: Timestamp.optional(),
  /** The sandbox it was taken from, as it was: a sandbox made from it uses the same template. */
  source: z
    .strictObject({ uid: z.string(), templateRef: TemplateRef, runtime: z.string() })
    .optional(),
});
export type SandboxSnapshotStatus = z.infer<typeof SandboxSnapshotStatus>;

export const SandboxSnapshot = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('SandboxSnapshot'),
  metadata: ObjectMeta,
  spec: SandboxSnapshotSpec,
  status: SandboxSnapshotStatus.optional(),
});
export type SandboxSnapshot = z.infer<typeof SandboxSnapshot>;

/** The lifecycle events of a snapshot. */
export type SnapshotEvent =
  | { type: 'CaptureStarted' }
  | { type: 'Captured'; message?: string }
  | { type: 'CaptureFailed'; message: string };

type SnapshotState = Pick<SandboxSnapshotStatus, 'phase' | 'conditions' | 'reason' | 'message'>;

/**
 * `(state, event, now) → state` of a snapshot: `Pending` takes `CaptureStarted` (no change of
 * phase), `Captured` (→ `Ready`) and `CaptureFailed` (→ `Failed`); `Ready` and `Failed` are
 * final, and an event there is `invalid_transition` unless it repeats the one that led there.
 */
export function transitionSnapshot<S extends SnapshotState>(
  state: S,
  event: SnapshotEvent,
  now: Date,
): S {
  const ready = (status: ConditionStatus, reason: SnapshotReason, message: string) =>
    setCondition(state.conditions, { type: 'Ready', status, reason, message }, now);
  const final =
    (state.phase === SnapshotPhase.Ready && event.type === 'Captured') ||
    (state.phase === SnapshotPhase.Failed && event.type === 'CaptureFailed');
  if (final) return state;
  if (state.phase !== SnapshotPhase.Pending) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `a ${state.phase} snapshot does not take ${event.type}`,
    );
  }
  switch (event.type) {
    case 'CaptureStarted': {
      const message = 'copying the workspace';
      if (state.reason === SnapshotReason.Capturing) return state;
      return {
        ...state,
        reason: SnapshotReason.Capturing,
        message,
        conditions: ready(ConditionStatus.False, SnapshotReason.Capturing, message),
      };
    }
    case 'Captured': {
      const message = event.message ?? 'captured';
      return {
        ...state,
        phase: SnapshotPhase.Ready,
        reason: SnapshotReason.Captured,
        message,
        conditions: ready(ConditionStatus.True, SnapshotReason.Captured, message),
      };
    }
    case 'CaptureFailed':
      return {
        ...state,
        phase: SnapshotPhase.Failed,
        reason: SnapshotReason.CaptureFailed,
        message: event.message,
        conditions: ready(ConditionStatus.False, SnapshotReason.CaptureFailed, event.message),
      };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled snapshot event ${JSON.stringify(unknown)}`);
    }
  }
}

/** Identifies a snapshot to a runtime; `uid` guards against a recreated one of the same name. */
export type SnapshotRef = { namespace: string; name: string; uid: string };

/** What a runtime reports of a captured snapshot. */
export type SnapshotCapture = {
  /** Bytes on disk, workspace and memory. */
  sizeBytes: number;
  /** Bytes of the memory image, when memory is included. */
  memoryBytes?: number;
  contents: SnapshotContent[];
  consistency: SnapshotConsistency;
  /** Why memory is not included, when it is not. */
  memoryNote?: string;
  /** When the copy was taken (RFC 3339). */
  capturedAt: string;
};

/**
 * The snapshot half of a runtime (`SandboxRuntime.snapshots`): copies of workspaces kept apart
 * from every sandbox, so that they outlive them. A `ProvisionRequest.fromSnapshot` seeds a new
 * sandbox's workspace from one.
 */
export interface SnapshotStorage {
  /**
   * Copies the sandbox's workspace, running or stopped, into the snapshot. Idempotent: a
   * snapshot of that uid already complete is reported as it is. `sandbox_not_found` for an
   * unknown sandbox; `conflict` when a snapshot of that name exists with another uid.
   */
  capture(sandbox: SandboxRef, snapshot: SnapshotRef): Promise<SnapshotCapture>;
  /** Deletes the snapshot's copy. Idempotent; an unknown snapshot (or another uid's) is a no-op. */
  remove(snapshot: SnapshotRef): Promise<void>;
  /** Every snapshot copy this runtime holds (to collect those no SandboxSnapshot owns). */
  list(): Promise<SnapshotRef[]>;
}
