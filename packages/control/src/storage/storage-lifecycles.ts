/**
 * The lifecycles of `SandboxSnapshot` and `Volume` as the kit's status writer drives them, with
 * the type of the event recorded for each transition (Warning: a person should look).
 */
import {
  EventType,
  type SandboxSnapshotStatus,
  type SnapshotEvent,
  SnapshotPhase,
  SnapshotReason,
  transitionSnapshot,
  transitionVolume,
  type VolumeEvent,
  VolumePhase,
  VolumeReason,
  type VolumeStatus,
} from '@paddock/core';
import type { Lifecycle } from '../kit/status-writer.ts';

const { Normal, Warning } = EventType;

const snapshotEventTypes = {
  CaptureStarted: Normal,
  Captured: Normal,
  CaptureFailed: Warning,
} as const satisfies Record<SnapshotEvent['type'], EventType>;

export const snapshotLifecycle: Lifecycle<SandboxSnapshotStatus, SnapshotEvent> = {
  initial: () => ({ phase: SnapshotPhase.Pending, conditions: [] }),
  transition: transitionSnapshot,
  reasons: SnapshotReason,
  eventType: (event) => snapshotEventTypes[event.type],
};

const volumeEventTypes = {
  Provisioned: Normal,
  ProvisionFailed: Warning,
} as const satisfies Record<VolumeEvent['type'], EventType>;

export const volumeLifecycle: Lifecycle<VolumeStatus, VolumeEvent> = {
  initial: () => ({ phase: VolumePhase.Pending, conditions: [] }),
  transition: transitionVolume,
  reasons: VolumeReason,
  eventType: (event) => volumeEventTypes[event.type],
};
