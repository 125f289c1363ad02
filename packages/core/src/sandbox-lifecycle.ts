/**
 * The Sandbox lifecycle: `Pending → Creating → Running ⇄ Stopped → Deleting`, `Running ⇄ Paused`,
 * with `Error` as a sink. Runtimes report facts; the reconciler turns them into {@link SandboxEvent}s and applies
 * them with {@link transitionSandbox}, which owns `phase`, `conditions` and the few status fields
 * below. Every allowed move is a row of {@link sandboxTransitions}; anything else is an error.
 */
import { z } from 'zod';
import { type Condition, ConditionStatus, setCondition } from './conditions.ts';
import { ErrorCode, PaddockError } from './errors.ts';

export const SandboxPhase = {
  /** Created; waiting for governance to admit it. */
  Pending: 'Pending',
  /** Admitted; the runtime is provisioning it (files, repos, init scripts). */
  Creating: 'Creating',
  /** Provisioned and running: exec, files and ports work. */
  Running: 'Running',
  /** Processes stopped; the workspace is kept and the sandbox can start again. */
  Stopped: 'Stopped',
  /**
   * Processes frozen in place (memory kept, no CPU used); exec, files and ports refuse with
   * `sandbox_paused` until it resumes.
   */
  Paused: 'Paused',
  /** Being destroyed (deletionTimestamp set). Terminal: only deletion events are accepted. */
  Deleting: 'Deleting',
  /** Refused or broken. Leaves only by deletion or an explicit retry (back to `Pending`). */
  Error: 'Error',
} as const;
export type SandboxPhase = (typeof SandboxPhase)[keyof typeof SandboxPhase];

/** Every phase, in lifecycle order. */
export const sandboxPhases: readonly SandboxPhase[] = Object.values(SandboxPhase);

/** Phases no event leaves: a deleting sandbox only goes away. */
export const terminalSandboxPhases: readonly SandboxPhase[] = [SandboxPhase.Deleting];

/** What the reconciler observed or did. The closed input of {@link transitionSandbox}. */
export type SandboxEvent =
  /** Governance admitted the sandbox. */
  | { type: 'Admitted' }
  /** Governance refused it; `message` summarises every violation. */
  | { type: 'Rejected'; message: string }
  /** The runtime finished provisioning (or a warm-pool sandbox was claimed). */
  | { type: 'Provisioned'; startupDurationMs: number; fromWarmPool: boolean }
  /** A provisioning step failed, with its exit code and last output when it had any. */
  | { type: 'ProvisionFailed'; step: string; exitCode?: number; output?: string }
  /** The reconciler asked the runtime to stop (spec.desiredState is `Stopped`). */
  | { type: 'StopRequested' }
  /** The runtime reports the sandbox stopped after a requested stop. */
  | { type: 'Stopped' }
  /** The reconciler asked the runtime to start (spec.desiredState is `Running`). */
  | { type: 'StartRequested' }
  /** The runtime reports the sandbox running again after a requested start. */
  | { type: 'Started' }
  /** The reconciler asked the runtime to pause (spec.desiredState is `Paused`). */
  | { type: 'PauseRequested' }
  /** The runtime froze the sandbox's processes, by `mechanism` (a `PauseMechanism`). */
  | { type: 'Paused'; mechanism: string }
  /** The idle timeout passed; the reconciler paused the sandbox (by `mechanism`). */
  | { type: 'IdlePaused'; mechanism: string }
  /** The reconciler asked the runtime to resume a paused sandbox. */
  | { type: 'ResumeRequested' }
  /** The runtime thawed the sandbox's processes: they go on where they were. */
  | { type: 'Resumed' }
  /** The wall-clock timeout passed; the reconciler stopped the sandbox. */
  | { type: 'TimedOut' }
  /** The idle timeout passed; the reconciler stopped the sandbox. */
  | { type: 'IdleTimedOut' }
  /** The main process exited on its own; the sandbox is stopped. */
  | { type: 'ProcessExited'; exitCode: number }
  /** The runtime no longer finds the sandbox (pid gone, pod evicted, workspace missing). */
  | { type: 'RuntimeLost'; message: string }
  /** A retry of an errored sandbox was asked for: it goes back through admission. */
  | { type: 'RetryRequested' }
  /** The resource is being deleted (deletionTimestamp set). */
  | { type: 'DeleteRequested' }
  /** The runtime destroyed everything; the finalizer may now be removed. */
  | { type: 'Deleted' };

export const SandboxEventType = {
  Admitted: 'Admitted',
  Rejected: 'Rejected',
  Provisioned: 'Provisioned',
  ProvisionFailed: 'ProvisionFailed',
  StopRequested: 'StopRequested',
  Stopped: 'Stopped',
  StartRequested: 'StartRequested',
  Started: 'Started',
  PauseRequested: 'PauseRequested',
  Paused: 'Paused',
  IdlePaused: 'IdlePaused',
  ResumeRequested: 'ResumeRequested',
  Resumed: 'Resumed',
  TimedOut: 'TimedOut',
  IdleTimedOut: 'IdleTimedOut',
  ProcessExited: 'ProcessExited',
  RuntimeLost: 'RuntimeLost',
  RetryRequested: 'RetryRequested',
  DeleteRequested: 'DeleteRequested',
  Deleted: 'Deleted',
} as const satisfies { readonly [K in SandboxEvent['type']]: K };
export type SandboxEventType = SandboxEvent['type'];

/** Every event type. */
export const sandboxEventTypes: readonly SandboxEventType[] = Object.values(SandboxEventType);

/**
 * `(phase, event) → phase`. A pair that is absent is an invalid transition. Self-transitions are
 * listed explicitly; these are idempotent repeats that change nothing:
 * `StopRequested` while `Stopped`, `StartRequested` and `ResumeRequested` while `Running`,
 * `PauseRequested` while `Paused`, `DeleteRequested` while `Deleting`. The others (`StopRequested` while `Running`, `StartRequested` while `Stopped`,
 * `Deleted` while `Deleting`) update conditions without changing the phase.
 */
export const sandboxTransitions = {
  Pending: { Admitted: 'Creating', Rejected: 'Error', DeleteRequested: 'Deleting' },
  Creating: {
    Provisioned: 'Running',
    ProvisionFailed: 'Error',
    RuntimeLost: 'Error',
    DeleteRequested: 'Deleting',
  },
  Running: {
    StopRequested: 'Running',
    StartRequested: 'Running',
    PauseRequested: 'Running',
    Paused: 'Paused',
    IdlePaused: 'Paused',
    ResumeRequested: 'Running',
    Stopped: 'Stopped',
    TimedOut: 'Stopped',
    IdleTimedOut: 'Stopped',
    ProcessExited: 'Stopped',
    RuntimeLost: 'Error',
    DeleteRequested: 'Deleting',
  },
  Stopped: {
    StopRequested: 'Stopped',
    StartRequested: 'Stopped',
    Started: 'Running',
    RuntimeLost: 'Error',
    DeleteRequested: 'Deleting',
  },
  Paused: {
    PauseRequested: 'Paused',
    ResumeRequested: 'Paused',
    Resumed: 'Running',
    StopRequested: 'Paused',
    Stopped: 'Stopped',
    TimedOut: 'Stopped',
    RuntimeLost: 'Error',
    DeleteRequested: 'Deleting',
  },
  Error: { RetryRequested: 'Pending', DeleteRequested: 'Deleting' },
  Deleting: { DeleteRequested: 'Deleting', Deleted: 'Deleting' },
} as const satisfies {
  readonly [P in SandboxPhase]: { readonly [E in SandboxEventType]?: SandboxPhase };
};

/** The condition types a sandbox reports. */
export const SandboxConditionType = {
  /** Governance decision: `True` admitted, `False` refused, `Unknown` re-evaluating on retry. */
  Admitted: 'Admitted',
  /** The runtime holds a provisioned environment (also while `Stopped`: the workspace is kept). */
  Provisioned: 'Provisioned',
  /** The sandbox accepts exec, file and port requests: `True` only while `Running`. */
  Ready: 'Ready',
} as const;
export type SandboxConditionType = (typeof SandboxConditionType)[keyof typeof SandboxConditionType];

/** The documented reason codes of a sandbox's status and conditions. */
export const SandboxReason = {
  /** Created and waiting for admission. */
  Pending: 'Pending',
  /** Governance admitted the sandbox. */
  Admitted: 'Admitted',
  /** Governance refused the sandbox; the message lists the violations. */
  PolicyViolation: 'PolicyViolation',
  /** The runtime is provisioning the sandbox. */
  Provisioning: 'Provisioning',
  /** Provisioning finished (`startupDurationMs`, `fromWarmPool` are set). */
  Provisioned: 'Provisioned',
  /** A provisioning step failed; `provisionFailure` has the step, exit code and output. */
  ProvisionFailed: 'ProvisionFailed',
  /** Running and ready. */
  Ready: 'Ready',
  /** A stop was requested and is in progress. */
  Stopping: 'Stopping',
  /** A start was requested and is in progress. */
  Starting: 'Starting',
  /** A pause was requested and is in progress. */
  Pausing: 'Pausing',
  /** Paused because its desired state is `Paused`; `pauseMechanism` says how. */
  PausedByUser: 'PausedByUser',
  /** Paused because it was idle longer than its idle timeout; the next request wakes it. */
  IdlePaused: 'IdlePaused',
  /** A resume was requested and is in progress. */
  Resuming: 'Resuming',
  /** Stopped because its desired state is `Stopped`. */
  StoppedByUser: 'StoppedByUser',
  /** Stopped because the wall-clock timeout passed. */
  TimedOut: 'TimedOut',
  /** Stopped because it was idle longer than its idle timeout. */
  IdleTimedOut: 'IdleTimedOut',
  /** Stopped because the main process exited; `exitCode` is set. */
  ProcessExited: 'ProcessExited',
  /** The runtime lost the sandbox; the message says how. */
  RuntimeLost: 'RuntimeLost',
  /** Back to `Pending` after an error, to be admitted and provisioned again. */
  Retrying: 'Retrying',
  /** Deletion in progress. */
  Deleting: 'Deleting',
  /** The runtime destroyed the sandbox; only the finalizer is left. */
  Deleted: 'Deleted',
} as const;
export type SandboxReason = (typeof SandboxReason)[keyof typeof SandboxReason];

/** Why provisioning failed: the step, its exit code and its last output. */
export const ProvisionFailure = z.object({
  step: z.string(),
  exitCode: z.int().optional(),
  output: z.string().optional(),
});
export type ProvisionFailure = z.infer<typeof ProvisionFailure>;

/**
 * The status fields the lifecycle owns; a Sandbox's `status` satisfies it, and its other fields
 * pass through {@link transitionSandbox} unchanged. Times are ISO 8601 strings taken from `now`.
 * Fields record the latest occurrence and are never cleared: `stoppedAt` is when it last stopped,
 * `exitCode` the main process's code at the last `ProcessExited`, `provisionFailure` the last failed
 * step. `reason` is a {@link SandboxReason} once the lifecycle has written it.
 */
export type SandboxLifecycleState = {
  phase: SandboxPhase;
  conditions: readonly Condition[];
  reason?: string | undefined;
  message?: string | undefined;
  startupDurationMs?: number | undefined;
  fromWarmPool?: boolean | undefined;
  /** When it last became `Running`. */
  startedAt?: string | undefined;
  stoppedAt?: string | undefined;
  /** When it was last paused, and how (a `PauseMechanism`). */
  pausedAt?: string | undefined;
  pauseMechanism?: string | undefined;
  exitCode?: number | undefined;
  provisionFailure?: ProvisionFailure | undefined;
};

/** The state of a newly created sandbox: `Pending`, no conditions yet. */
export function initialSandboxState(): SandboxLifecycleState {
  return {
    phase: SandboxPhase.Pending,
    conditions: [],
    reason: SandboxReason.Pending,
    message: 'waiting for admission',
  };
}

/** Whether `eventType` is allowed in `phase` (a row of {@link sandboxTransitions}). */
export function canTransitionSandbox(phase: SandboxPhase, eventType: SandboxEventType): boolean {
  return nextSandboxPhase(phase, eventType) !== undefined;
}

/** Whether no event leads out of `phase`. */
export function isTerminalSandboxPhase(phase: SandboxPhase): boolean {
  return terminalSandboxPhases.includes(phase);
}

/**
 * Applies `event` to `state` at time `now` and returns the new state; pure (the input is not
 * modified; fields the lifecycle does not own, e.g. a whole `SandboxStatus`, are copied through).
 * Throws `PaddockError` `invalid_transition` with details `{kind: 'Sandbox', phase, event}` when
 * the table has no row for the pair.
 */
export function transitionSandbox<S extends SandboxLifecycleState>(
  state: S,
  event: SandboxEvent,
  now: Date,
): S {
  const from = state.phase;
  const to = nextSandboxPhase(from, event.type);
  if (to === undefined) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `a ${from} sandbox does not accept ${event.type}`,
      { kind: 'Sandbox', phase: from, event: event.type },
    );
  }
  return applyEvent(from, { ...state, phase: to, conditions: [...state.conditions] }, event, now);
}

function nextSandboxPhase(
  phase: SandboxPhase,
  eventType: SandboxEventType,
): SandboxPhase | undefined {
  const row: { readonly [E in SandboxEventType]?: SandboxPhase } = sandboxTransitions[phase];
  return row[eventType];
}

const { True, False, Unknown } = ConditionStatus;
const R = SandboxReason;

function applyEvent<S extends SandboxLifecycleState>(
  from: SandboxPhase,
  s: S,
  event: SandboxEvent,
  now: Date,
): S {
  const at = now.toISOString();
  const stop = (reason: SandboxReason, message: string, fields: { exitCode?: number } = {}): S =>
    update({ ...s, ...fields, stoppedAt: at }, now, reason, message, { Ready: False });
  switch (event.type) {
    case 'Admitted':
      return update(s, now, R.Provisioning, 'provisioning', {
        Admitted: { status: True, reason: R.Admitted, message: 'admitted by policy' },
        Provisioned: False,
        Ready: False,
      });
    case 'Rejected':
      return update(s, now, R.PolicyViolation, event.message, { Admitted: False, Ready: False });
    case 'Provisioned': {
      const { startupDurationMs, fromWarmPool } = event;
      const source = fromWarmPool ? ' from the warm pool' : '';
      const message = `provisioned in ${startupDurationMs} ms${source}`;
      const next = { ...s, startupDurationMs, fromWarmPool, startedAt: at };
      return update(next, now, R.Ready, 'running', {
        Provisioned: { status: True, reason: R.Provisioned, message },
        Ready: True,
      });
    }
    case 'ProvisionFailed': {
      const { type: _, ...provisionFailure } = event;
      const code = event.exitCode === undefined ? '' : ` with exit code ${event.exitCode}`;
      const message = `provisioning step ${event.step} failed${code}`;
      return update({ ...s, provisionFailure }, now, R.ProvisionFailed, message, {
        Provisioned: False,
        Ready: False,
      });
    }
    case 'StopRequested':
      if (from === SandboxPhase.Stopped) return s; // idempotent repeat
      if (from === SandboxPhase.Paused) return update(s, now, R.Stopping, 'stopping', {});
      return update(s, now, R.Stopping, 'stopping', { Ready: False });
    case 'StartRequested':
      if (from === SandboxPhase.Running) return s; // idempotent repeat
      return update(s, now, R.Starting, 'starting', { Ready: False });
    case 'Started':
      return update({ ...s, startedAt: at }, now, R.Ready, 'running', { Ready: True });
    case 'PauseRequested':
      if (from === SandboxPhase.Paused) return s; // idempotent repeat
      return update(s, now, R.Pausing, 'pausing', { Ready: False });
    case 'Paused':
    case 'IdlePaused': {
      const isIdle = event.type === 'IdlePaused';
      const next = { ...s, pausedAt: at, pauseMechanism: event.mechanism };
      const why = isIdle ? 'paused: idle timeout reached' : 'paused';
      const reason = isIdle ? R.IdlePaused : R.PausedByUser;
      return update(next, now, reason, `${why} (${event.mechanism})`, { Ready: False });
    }
    case 'ResumeRequested':
      if (from === SandboxPhase.Running) return s; // idempotent repeat
      return update(s, now, R.Resuming, 'resuming', { Ready: False });
    case 'Resumed':
      return update(s, now, R.Ready, 'running', { Ready: True });
    case 'Stopped':
      return stop(R.StoppedByUser, 'stopped');
    case 'TimedOut':
      return stop(R.TimedOut, 'stopped: timeout reached');
    case 'IdleTimedOut':
      return stop(R.IdleTimedOut, 'stopped: idle timeout reached');
    case 'ProcessExited': {
      const message = `stopped: main process exited with code ${event.exitCode}`;
      return stop(R.ProcessExited, message, { exitCode: event.exitCode });
    }
    case 'RuntimeLost':
      return update(s, now, R.RuntimeLost, event.message, { Provisioned: False, Ready: False });
    case 'RetryRequested':
      return update(s, now, R.Retrying, 'retrying after error', {
        Admitted: Unknown,
        Ready: False,
      });
    case 'DeleteRequested':
      if (from === SandboxPhase.Deleting) return s; // idempotent repeat
      return update(s, now, R.Deleting, 'deleting', { Ready: False });
    case 'Deleted':
      return update(s, now, R.Deleted, 'deleted', { Provisioned: False, Ready: False });
    default: {
      const unknown: never = event;
      throw new Error(`unhandled sandbox event ${JSON.stringify(unknown)}`);
    }
  }
}

/** A condition's new status; a bare status takes the state's new reason and message. */
type ConditionChange =
  | ConditionStatus
  | { status: ConditionStatus; reason: SandboxReason; message: string };

function update<S extends SandboxLifecycleState>(
  s: S,
  now: Date,
  reason: SandboxReason,
  message: string,
  changes: { readonly [T in SandboxConditionType]?: ConditionChange },
): S {
  let conditions = s.conditions;
  for (const type of Object.values(SandboxConditionType)) {
    const change = changes[type];
    if (change === undefined) continue;
    const next = typeof change === 'string' ? { status: change, reason, message } : change;
    conditions = setCondition(conditions, { type, ...next }, now);
  }
  return { ...s, conditions, reason, message };
}
