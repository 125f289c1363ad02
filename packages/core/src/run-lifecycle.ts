/**
 * The Run lifecycle: `Pending → Starting → Running → Succeeded | Failed | Cancelled |
 * BudgetExceeded | TimedOut`. The reconciler turns what the sandbox, the harness and the gateway
 * report into {@link RunEvent}s and applies them with {@link transitionRun}. Every allowed move is a
 * row of {@link runTransitions}; the five outcomes are terminal and accept no event at all.
 */
import { type Condition, ConditionStatus, setCondition } from './conditions.ts';
import { ErrorCode, PaddockError } from './errors.ts';

export const RunPhase = {
  /** Created; waiting for its sandbox (a new one being created, or an existing one). */
  Pending: 'Pending',
  /** The sandbox is assigned; the harness is being launched in it. */
  Starting: 'Starting',
  /** The harness runs the task (or waits for messages, in interactive mode). */
  Running: 'Running',
  /** The harness finished the task. Terminal. */
  Succeeded: 'Succeeded',
  /** The sandbox or the harness failed. Terminal. */
  Failed: 'Failed',
  /** Cancelled on request. Terminal. */
  Cancelled: 'Cancelled',
  /** The gateway refused a call over a budget limit. Terminal. */
  BudgetExceeded: 'BudgetExceeded',
  /** The run's timeout passed. Terminal. */
  TimedOut: 'TimedOut',
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

/** Every phase, in lifecycle order. */
export const runPhases: readonly RunPhase[] = Object.values(RunPhase);

/** The outcomes: no event is accepted once a run is in one of these. */
export const terminalRunPhases: readonly RunPhase[] = [
  RunPhase.Succeeded,
  RunPhase.Failed,
  RunPhase.Cancelled,
  RunPhase.BudgetExceeded,
  RunPhase.TimedOut,
];

/** What the harness left behind: its final text and exit code, when it has them. */
export type RunResult = { text?: string | undefined; exitCode?: number | undefined };

/** What the reconciler observed or was asked. The closed input of {@link transitionRun}. */
export type RunEvent =
  /** The run's sandbox exists and is running. */
  | { type: 'SandboxAssigned'; sandboxName: string }
  /** The harness process started in the sandbox. */
  | { type: 'HarnessStarted' }
  /** The harness finished the task. */
  | { type: 'Completed'; result: RunResult }
  /** The sandbox could not be had, or the harness failed; `exitCode` when the harness exited. */
  | { type: 'Failed'; message: string; exitCode?: number }
  /** Someone cancelled the run. */
  | { type: 'CancelRequested' }
  /** The gateway refused a call: `limit` names the budget field (`maxUsd`, `maxTokens`, …). */
  | { type: 'BudgetExceeded'; limit: string }
  /** The run's timeout passed. */
  | { type: 'TimedOut' };

export const RunEventType = {
  SandboxAssigned: 'SandboxAssigned',
  HarnessStarted: 'HarnessStarted',
  Completed: 'Completed',
  Failed: 'Failed',
  CancelRequested: 'CancelRequested',
  BudgetExceeded: 'BudgetExceeded',
  TimedOut: 'TimedOut',
} as const satisfies { readonly [K in RunEvent['type']]: K };
export type RunEventType = RunEvent['type'];

/** Every event type. */
export const runEventTypes: readonly RunEventType[] = Object.values(RunEventType);

/**
 * `(phase, event) → phase`. A pair that is absent is an invalid transition. There are no
 * self-transitions: a second `CancelRequested` finds the run `Cancelled`, and is refused.
 */
export const runTransitions = {
  Pending: {
    SandboxAssigned: 'Starting',
    Failed: 'Failed',
    CancelRequested: 'Cancelled',
    TimedOut: 'TimedOut',
  },
  Starting: {
    HarnessStarted: 'Running',
    Failed: 'Failed',
    CancelRequested: 'Cancelled',
    BudgetExceeded: 'BudgetExceeded',
    TimedOut: 'TimedOut',
  },
  Running: {
    Completed: 'Succeeded',
    Failed: 'Failed',
    CancelRequested: 'Cancelled',
    BudgetExceeded: 'BudgetExceeded',
    TimedOut: 'TimedOut',
  },
  Succeeded: {},
  Failed: {},
  Cancelled: {},
  BudgetExceeded: {},
  TimedOut: {},
} as const satisfies {
  readonly [P in RunPhase]: { readonly [E in RunEventType]?: RunPhase };
};

/** The condition types a run reports. */
export const RunConditionType = {
  /** `True` once the run has its sandbox; the message names it. */
  SandboxAssigned: 'SandboxAssigned',
  /** `True` once the run reached an outcome; its reason says which. Absent until then. */
  Finished: 'Finished',
} as const;
export type RunConditionType = (typeof RunConditionType)[keyof typeof RunConditionType];

/** The documented reason codes of a run's status and conditions. */
export const RunReason = {
  /** Created and waiting for a sandbox. */
  Pending: 'Pending',
  /** The sandbox is assigned; the harness is starting. */
  SandboxAssigned: 'SandboxAssigned',
  /** The harness is running. */
  HarnessStarted: 'HarnessStarted',
  /** The harness finished the task. */
  Succeeded: 'Succeeded',
  /** Failed before the harness ran (no sandbox, or the harness did not launch). */
  StartFailed: 'StartFailed',
  /** The harness failed while running. */
  HarnessFailed: 'HarnessFailed',
  /** Cancelled on request. */
  Cancelled: 'Cancelled',
  /** A budget limit was reached; the message names it. */
  BudgetExceeded: 'BudgetExceeded',
  /** The run's timeout passed. */
  TimedOut: 'TimedOut',
} as const;
export type RunReason = (typeof RunReason)[keyof typeof RunReason];

/**
 * The status fields the lifecycle owns; a Run's `status` satisfies it, and its other fields (usage,
 * observedGeneration) pass through {@link transitionRun} unchanged. `startedAt` is when the harness
 * started, `completedAt` when the run reached its outcome (ISO 8601, from `now`). `reason` is a
 * {@link RunReason} once the lifecycle has written it.
 */
export type RunLifecycleState = {
  phase: RunPhase;
  conditions: readonly Condition[];
  reason?: string | undefined;
  message?: string | undefined;
  sandboxName?: string | undefined;
  startedAt?: string | undefined;
  completedAt?: string | undefined;
  result?: RunResult | undefined;
};

/** The state of a newly created run: `Pending`, no conditions yet. */
export function initialRunState(): RunLifecycleState {
  return {
    phase: RunPhase.Pending,
    conditions: [],
    reason: RunReason.Pending,
    message: 'waiting for a sandbox',
  };
}

/** Whether `eventType` is allowed in `phase` (a row of {@link runTransitions}). */
export function canTransitionRun(phase: RunPhase, eventType: RunEventType): boolean {
  return nextRunPhase(phase, eventType) !== undefined;
}

/** Whether `phase` is an outcome, which accepts no event. */
export function isTerminalRunPhase(phase: RunPhase): boolean {
  return terminalRunPhases.includes(phase);
}

/**
 * Applies `event` to `state` at time `now` and returns the new state; pure (the input is not
 * modified; fields the lifecycle does not own are copied through). Throws `PaddockError`
 * `invalid_transition` with details `{kind: 'Run', phase, event}` when the table has no row for the
 * pair, which is always the case in a terminal phase.
 */
export function transitionRun<S extends RunLifecycleState>(
  state: S,
  event: RunEvent,
  now: Date,
): S {
  const from = state.phase;
  const to = nextRunPhase(from, event.type);
  if (to === undefined) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `a ${from} run does not accept ${event.type}`,
      { kind: 'Run', phase: from, event: event.type },
    );
  }
  const s = { ...state, phase: to, conditions: [...state.conditions] };
  const at = now.toISOString();
  const finish = (
    reason: RunReason,
    message: string,
    fields: Pick<RunLifecycleState, 'result'> = {},
  ): S =>
    update({ ...s, ...fields, completedAt: at }, now, reason, message, {
      Finished: ConditionStatus.True,
    });
  switch (event.type) {
    case 'SandboxAssigned': {
      const message = `starting the harness in sandbox ${event.sandboxName}`;
      return update(
        { ...s, sandboxName: event.sandboxName },
        now,
        RunReason.SandboxAssigned,
        message,
        {
          SandboxAssigned: ConditionStatus.True,
        },
      );
    }
    case 'HarnessStarted':
      return update({ ...s, startedAt: at }, now, RunReason.HarnessStarted, 'running', {});
    case 'Completed':
      return finish(RunReason.Succeeded, 'finished', { result: event.result });
    case 'Failed': {
      const reason = from === RunPhase.Running ? RunReason.HarnessFailed : RunReason.StartFailed;
      const { exitCode } = event;
      return finish(reason, event.message, exitCode === undefined ? {} : { result: { exitCode } });
    }
    case 'CancelRequested':
      return finish(RunReason.Cancelled, 'cancelled');
    case 'BudgetExceeded':
      return finish(RunReason.BudgetExceeded, `budget limit ${event.limit} exceeded`);
    case 'TimedOut':
      return finish(RunReason.TimedOut, 'timeout reached');
    default: {
      const unknown: never = event;
      throw new Error(`unhandled run event ${JSON.stringify(unknown)}`);
    }
  }
}

function nextRunPhase(phase: RunPhase, eventType: RunEventType): RunPhase | undefined {
  const row: { readonly [E in RunEventType]?: RunPhase } = runTransitions[phase];
  return row[eventType];
}

function update<S extends RunLifecycleState>(
  s: S,
  now: Date,
  reason: RunReason,
  message: string,
  changes: { readonly [T in RunConditionType]?: ConditionStatus },
): S {
  let conditions = s.conditions;
  for (const type of Object.values(RunConditionType)) {
    const status = changes[type];
    if (status === undefined) continue;
    conditions = setCondition(conditions, { type, status, reason, message }, now);
  }
  return { ...s, conditions, reason, message };
}
