/**
 * The lifecycles of `core` as the kit's status writer drives them: Sandbox and Run, each with the
 * type of the event recorded for each of its transitions (Warning: a person should look).
 */
import {
  EventType,
  type RunEvent,
  type RunEventType,
  RunPhase,
  RunReason,
  type RunStatus,
  type SandboxEvent,
  type SandboxEventType,
  SandboxPhase,
  SandboxReason,
  type SandboxStatus,
  transitionRun,
  transitionSandbox,
} from '@paddock/core';
import type { Lifecycle } from './kit/status-writer.ts';

const { Normal, Warning } = EventType;

const sandboxEventTypes = {
  Admitted: Normal,
  Rejected: Warning,
  Provisioned: Normal,
  ProvisionFailed: Warning,
  StopRequested: Normal,
  Stopped: Normal,
  StartRequested: Normal,
  Started: Normal,
  PauseRequested: Normal,
  Paused: Normal,
  IdlePaused: Normal,
  ResumeRequested: Normal,
  Resumed: Normal,
  TimedOut: Warning,
  IdleTimedOut: Warning,
  ProcessExited: Normal,
  RuntimeLost: Warning,
  RetryRequested: Normal,
  DeleteRequested: Normal,
  Deleted: Normal,
} as const satisfies Record<SandboxEventType, EventType>;

export const sandboxLifecycle: Lifecycle<SandboxStatus, SandboxEvent> = {
  initial: () => ({ phase: SandboxPhase.Pending, conditions: [] }),
  transition: transitionSandbox,
  reasons: SandboxReason,
  eventType: (event) => sandboxEventTypes[event.type],
};

const runEventTypes = {
  SandboxAssigned: Normal,
  HarnessStarted: Normal,
  Completed: Normal,
  Failed: Warning,
  CancelRequested: Normal,
  BudgetExceeded: Warning,
  TimedOut: Warning,
} as const satisfies Record<RunEventType, EventType>;

export const runLifecycle: Lifecycle<RunStatus, RunEvent> = {
  initial: () => ({ phase: RunPhase.Pending, conditions: [] }),
  transition: transitionRun,
  reasons: RunReason,
  eventType: (event) => runEventTypes[event.type],
};
