import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Condition, findCondition } from './conditions.ts';
import { ErrorCode, isPaddockError } from './errors.ts';
import {
  canTransitionSandbox,
  initialSandboxState,
  isTerminalSandboxPhase,
  type SandboxEvent,
  type SandboxEventType,
  type SandboxLifecycleState,
  type SandboxPhase,
  SandboxReason,
  sandboxEventTypes,
  sandboxPhases,
  terminalSandboxPhases,
  transitionSandbox,
} from './sandbox-lifecycle.ts';

const t0 = new Date('2025-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

// Written out by hand, not derived from the module: a table entry gained or lost fails a test.
const PHASES: SandboxPhase[] = [
  'Pending',
  'Creating',
  'Running',
  'Stopped',
  'Paused',
  'Deleting',
  'Error',
];
const SAMPLE: { [E in SandboxEventType]: Extract<SandboxEvent, { type: E }> } = {
  Admitted: { type: 'Admitted' },
  Rejected: { type: 'Rejected', message: 'cpu_limit_exceeded: 8 > 4' },
  Provisioned: { type: 'Provisioned', startupDurationMs: 120, fromWarmPool: false },
  ProvisionFailed: { type: 'ProvisionFailed', step: 'clone repo', exitCode: 128, output: 'fatal' },
  StopRequested: { type: 'StopRequested' },
  Stopped: { type: 'Stopped' },
  StartRequested: { type: 'StartRequested' },
  Started: { type: 'Started' },
  PauseRequested: { type: 'PauseRequested' },
  Paused: { type: 'Paused', mechanism: 'cgroup-v1-freezer' },
  IdlePaused: { type: 'IdlePaused', mechanism: 'sigstop' },
  ResumeRequested: { type: 'ResumeRequested' },
  Resumed: { type: 'Resumed' },
  TimedOut: { type: 'TimedOut' },
  IdleTimedOut: { type: 'IdleTimedOut' },
  ProcessExited: { type: 'ProcessExited', exitCode: 3 },
  RuntimeLost: { type: 'RuntimeLost', message: 'pid 123 is gone' },
  RetryRequested: { type: 'RetryRequested' },
  DeleteRequested: { type: 'DeleteRequested' },
  Deleted: { type: 'Deleted' },
};
const EVENT_TYPES = Object.keys(SAMPLE) as SandboxEventType[];
const EXPECTED: Array<[SandboxPhase, SandboxEventType, SandboxPhase]> = [
  ['Pending', 'Admitted', 'Creating'],
  ['Pending', 'Rejected', 'Error'],
  ['Pending', 'DeleteRequested', 'Deleting'],
  ['Creating', 'Provisioned', 'Running'],
  ['Creating', 'ProvisionFailed', 'Error'],
  ['Creating', 'RuntimeLost', 'Error'],
  ['Creating', 'DeleteRequested', 'Deleting'],
  ['Running', 'StopRequested', 'Running'],
  ['Running', 'StartRequested', 'Running'],
  ['Running', 'PauseRequested', 'Running'],
  ['Running', 'Paused', 'Paused'],
  ['Running', 'IdlePaused', 'Paused'],
  ['Running', 'ResumeRequested', 'Running'],
  ['Running', 'Stopped', 'Stopped'],
  ['Running', 'TimedOut', 'Stopped'],
  ['Running', 'IdleTimedOut', 'Stopped'],
  ['Running', 'ProcessExited', 'Stopped'],
  ['Running', 'RuntimeLost', 'Error'],
  ['Running', 'DeleteRequested', 'Deleting'],
  ['Stopped', 'StopRequested', 'Stopped'],
  ['Stopped', 'StartRequested', 'Stopped'],
  ['Stopped', 'Started', 'Running'],
  ['Stopped', 'RuntimeLost', 'Error'],
  ['Stopped', 'DeleteRequested', 'Deleting'],
  ['Paused', 'PauseRequested', 'Paused'],
  ['Paused', 'ResumeRequested', 'Paused'],
  ['Paused', 'Resumed', 'Running'],
  ['Paused', 'StopRequested', 'Paused'],
  ['Paused', 'Stopped', 'Stopped'],
  ['Paused', 'TimedOut', 'Stopped'],
  ['Paused', 'RuntimeLost', 'Error'],
  ['Paused', 'DeleteRequested', 'Deleting'],
  ['Error', 'RetryRequested', 'Pending'],
  ['Error', 'DeleteRequested', 'Deleting'],
  ['Deleting', 'DeleteRequested', 'Deleting'],
  ['Deleting', 'Deleted', 'Deleting'],
];
const expectedNext = (phase: SandboxPhase, type: SandboxEventType) =>
  EXPECTED.find(([from, event]) => from === phase && event === type)?.[2];

const PATHS: { [P in SandboxPhase]: SandboxEventType[] } = {
  Pending: [],
  Creating: ['Admitted'],
  Running: ['Admitted', 'Provisioned'],
  Stopped: ['Admitted', 'Provisioned', 'Stopped'],
  Paused: ['Admitted', 'Provisioned', 'Paused'],
  Error: ['Admitted', 'ProvisionFailed'],
  Deleting: ['Admitted', 'DeleteRequested'],
};
/** A state reached through real transitions, one minute apart. */
function reach(phase: SandboxPhase, extra: SandboxEventType[] = []): SandboxLifecycleState {
  return [...PATHS[phase], ...extra].reduce(
    (state, type, i) => transitionSandbox(state, SAMPLE[type], at(i + 1)),
    initialSandboxState(),
  );
}
const apply = (state: SandboxLifecycleState, type: SandboxEventType, minutes = 30) =>
  transitionSandbox(state, SAMPLE[type], at(minutes));
const condition = (state: SandboxLifecycleState, type: string) =>
  findCondition(state.conditions, type);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('sandbox lifecycle table', () => {
  it('has exactly the phases, event types and terminal phases listed here', () => {
    assert.deepEqual(sandboxPhases, PHASES);
    assert.deepEqual([...sandboxEventTypes].sort(), [...EVENT_TYPES].sort());
    assert.deepEqual(terminalSandboxPhases, ['Deleting']);
    assert.deepEqual(PHASES.filter(isTerminalSandboxPhase), ['Deleting']);
  });

  for (const [from, type, to] of EXPECTED) {
    it(`${from} --${type}--> ${to}`, () => {
      assert.equal(apply(reach(from), type).phase, to);
    });
  }

  it('accepts exactly the listed pairs and refuses every other one with invalid_transition', () => {
    let allowed = 0;
    for (const phase of PHASES) {
      for (const type of EVENT_TYPES) {
        const next = expectedNext(phase, type);
        const state: SandboxLifecycleState = { ...initialSandboxState(), phase };
        assert.equal(canTransitionSandbox(phase, type), next !== undefined, `${phase} + ${type}`);
        if (next !== undefined) {
          allowed++;
          assert.equal(transitionSandbox(state, SAMPLE[type], t0).phase, next);
          continue;
        }
        assert.throws(
          () => transitionSandbox(state, SAMPLE[type], t0),
          (error: unknown) =>
            isPaddockError(error, ErrorCode.InvalidTransition) &&
            error.message === `a ${phase} sandbox does not accept ${type}` &&
            JSON.stringify(error.details) ===
              JSON.stringify({ kind: 'Sandbox', phase, event: type }),
          `${phase} + ${type}`,
        );
      }
    }
    assert.equal(allowed, EXPECTED.length);
  });
});

describe('sandbox transitions set status and conditions', () => {
  it('starts Pending with no conditions', () => {
    assert.deepEqual(initialSandboxState(), {
      phase: 'Pending',
      conditions: [],
      reason: 'Pending',
      message: 'waiting for admission',
    });
  });

  it('Admitted: Admitted=True, provisioning, not ready', () => {
    const state = reach('Creating');
    assert.equal(state.reason, SandboxReason.Provisioning);
    assert.equal(condition(state, 'Admitted')?.status, 'True');
    assert.equal(condition(state, 'Admitted')?.reason, 'Admitted');
    assert.equal(condition(state, 'Provisioned')?.reason, 'Provisioning');
    assert.equal(condition(state, 'Ready')?.status, 'False');
  });

  it('Rejected: Error with PolicyViolation and the violations as message', () => {
    const state = apply(initialSandboxState(), 'Rejected');
    assert.equal(state.phase, 'Error');
    assert.equal(state.reason, 'PolicyViolation');
    assert.equal(state.message, 'cpu_limit_exceeded: 8 > 4');
    assert.equal(condition(state, 'Admitted')?.status, 'False');
    assert.equal(condition(state, 'Admitted')?.reason, 'PolicyViolation');
  });

  it('Provisioned: Ready and Provisioned, startup time, warm pool and startedAt recorded', () => {
    const event = { type: 'Provisioned', startupDurationMs: 42, fromWarmPool: true } as const;
    const state = transitionSandbox(reach('Creating'), event, at(9));
    assert.equal(state.startupDurationMs, 42);
    assert.equal(state.fromWarmPool, true);
    assert.equal(state.startedAt, at(9).toISOString());
    assert.equal(state.reason, 'Ready');
    assert.equal(condition(state, 'Ready')?.status, 'True');
    assert.equal(
      condition(state, 'Provisioned')?.message,
      'provisioned in 42 ms from the warm pool',
    );
  });

  it('ProvisionFailed: Error with the failing step, exit code and output', () => {
    const state = reach('Error');
    assert.equal(state.reason, 'ProvisionFailed');
    assert.deepEqual(state.provisionFailure, {
      step: 'clone repo',
      exitCode: 128,
      output: 'fatal',
    });
    assert.equal(state.message, 'provisioning step clone repo failed with exit code 128');
    assert.equal(condition(state, 'Provisioned')?.reason, 'ProvisionFailed');
  });

  it('stop: Stopping while Running, then Stopped; Ready keeps the time it went False', () => {
    const stopping = apply(reach('Running'), 'StopRequested', 10);
    assert.equal(stopping.phase, 'Running');
    assert.equal(stopping.reason, 'Stopping');
    assert.equal(condition(stopping, 'Ready')?.status, 'False');
    const stopped = apply(stopping, 'Stopped', 11);
    assert.equal(stopped.reason, 'StoppedByUser');
    assert.equal(stopped.stoppedAt, at(11).toISOString());
    assert.equal(condition(stopped, 'Ready')?.lastTransitionTime, at(10).toISOString());
    assert.equal(condition(stopped, 'Provisioned')?.status, 'True');
  });

  for (const [type, reason] of [
    ['TimedOut', 'TimedOut'],
    ['IdleTimedOut', 'IdleTimedOut'],
    ['ProcessExited', 'ProcessExited'],
  ] as const) {
    it(`${type}: Stopped with reason ${reason}`, () => {
      const state = apply(reach('Running'), type);
      assert.equal(state.reason, reason);
      assert.equal(state.stoppedAt, at(30).toISOString());
      assert.equal(state.exitCode, type === 'ProcessExited' ? 3 : undefined);
    });
  }

  it('start: Starting while Stopped, then Running with a new startedAt', () => {
    const starting = apply(reach('Stopped'), 'StartRequested', 20);
    assert.equal(starting.reason, 'Starting');
    const running = apply(starting, 'Started', 21);
    assert.equal(running.reason, 'Ready');
    assert.equal(running.startedAt, at(21).toISOString());
    assert.equal(condition(running, 'Ready')?.lastTransitionTime, at(21).toISOString());
  });

  it('pause: Pausing while Running, then Paused with when and how; resume: Running again', () => {
    const pausing = apply(reach('Running'), 'PauseRequested', 10);
    assert.equal(pausing.reason, 'Pausing');
    assert.equal(condition(pausing, 'Ready')?.status, 'False');
    const paused = apply(pausing, 'Paused', 11);
    assert.equal(paused.phase, 'Paused');
    assert.equal(paused.reason, 'PausedByUser');
    assert.equal(paused.message, 'paused (cgroup-v1-freezer)');
    assert.equal(paused.pausedAt, at(11).toISOString());
    assert.equal(paused.pauseMechanism, 'cgroup-v1-freezer');
    const resuming = apply(paused, 'ResumeRequested', 20);
    assert.equal(resuming.reason, 'Resuming');
    const running = apply(resuming, 'Resumed', 21);
    assert.equal(running.phase, 'Running');
    assert.equal(running.reason, 'Ready');
    assert.equal(condition(running, 'Ready')?.status, 'True');
    // Resuming is no restart: startedAt stays the first start's.
    assert.equal(running.startedAt, reach('Running').startedAt);
    const idle = apply(reach('Running'), 'IdlePaused', 30);
    assert.equal(idle.reason, 'IdlePaused');
    assert.equal(idle.message, 'paused: idle timeout reached (sigstop)');
  });

  it('idempotent repeats change nothing, not even the reason', () => {
    const paused = reach('Paused');
    assert.deepEqual(apply(paused, 'PauseRequested', 40), paused);
    assert.deepEqual(apply(reach('Running'), 'ResumeRequested', 40), reach('Running'));
    const timedOut = apply(reach('Running'), 'TimedOut');
    assert.deepEqual(apply(timedOut, 'StopRequested', 40), timedOut);
    const running = reach('Running');
    assert.deepEqual(apply(running, 'StartRequested', 40), running);
    const deleted = reach('Deleting', ['Deleted']);
    assert.deepEqual(apply(deleted, 'DeleteRequested', 40), deleted);
    assert.deepEqual(apply(deleted, 'Deleted', 40), deleted);
  });

  it('RuntimeLost: Error, no longer provisioned', () => {
    const state = apply(reach('Running'), 'RuntimeLost');
    assert.equal(state.reason, 'RuntimeLost');
    assert.equal(state.message, 'pid 123 is gone');
    assert.equal(condition(state, 'Provisioned')?.status, 'False');
  });

  it('RetryRequested: back to Pending for a new admission', () => {
    const retrying = apply(reach('Error'), 'RetryRequested', 40);
    assert.equal(retrying.phase, 'Pending');
    assert.equal(retrying.reason, 'Retrying');
    assert.equal(condition(retrying, 'Admitted')?.status, 'Unknown');
    const admitted = apply(retrying, 'Admitted', 41);
    assert.equal(condition(admitted, 'Admitted')?.lastTransitionTime, at(41).toISOString());
  });

  it('delete: Deleting then Deleted, not ready and not provisioned', () => {
    const deleting = reach('Deleting');
    assert.equal(deleting.reason, 'Deleting');
    const deleted = apply(deleting, 'Deleted');
    assert.equal(deleted.phase, 'Deleting');
    assert.equal(deleted.reason, 'Deleted');
    assert.equal(condition(deleted, 'Provisioned')?.status, 'False');
  });

  it('copies status fields it does not own through unchanged', () => {
    const status = { ...reach('Running'), expiresAt: '2025-01-02T00:00:00.000Z', ports: [8080] };
    const stopped = transitionSandbox(status, SAMPLE.Stopped, at(5));
    assert.equal(stopped.expiresAt, status.expiresAt);
    assert.deepEqual(stopped.ports, [8080]);
  });
});

describe('sandbox transitions are pure', () => {
  for (const [from, type] of EXPECTED) {
    it(`${from} + ${type}: input untouched, deterministic, times from now`, () => {
      const input = deepFreeze(reach(from));
      const snapshot = structuredClone(input);
      const now = at(99);
      const a = transitionSandbox(input, SAMPLE[type], now);
      const b = transitionSandbox(input, SAMPLE[type], now);
      assert.deepEqual(input, snapshot);
      assert.deepEqual(a, b);
      assert.notEqual(a.conditions, input.conditions);
      for (const c of a.conditions) {
        const before = findCondition(input.conditions, c.type);
        const changed = before === undefined || before.status !== c.status;
        assert.equal(c.lastTransitionTime, changed ? now.toISOString() : before.lastTransitionTime);
      }
    });
  }
});

const anyEvent: fc.Arbitrary<SandboxEvent> = fc.oneof(
  fc.constantFrom(...EVENT_TYPES.map((type) => SAMPLE[type])),
  fc.record({
    type: fc.constant('Provisioned'),
    startupDurationMs: fc.nat(),
    fromWarmPool: fc.boolean(),
  }),
  fc.record({ type: fc.constant('ProcessExited'), exitCode: fc.integer({ min: -1, max: 255 }) }),
  fc.record(
    {
      type: fc.constant('ProvisionFailed'),
      step: fc.string(),
      exitCode: fc.integer(),
      output: fc.string(),
    },
    { requiredKeys: ['type', 'step'] },
  ),
);

// Half the steps pick an event the current phase accepts, so sequences get past the first phases.
const step = fc.oneof(
  anyEvent.map((event) => ({ event })),
  fc.nat().map((pick) => ({ pick })),
);
function eventFor(phase: SandboxPhase, choice: { event: SandboxEvent } | { pick: number }) {
  if ('event' in choice) return choice.event;
  const accepted = EXPECTED.filter(([from]) => from === phase);
  const entry = accepted[choice.pick % accepted.length];
  return entry === undefined ? SAMPLE.Admitted : SAMPLE[entry[1]];
}

describe('sandbox lifecycle properties', () => {
  it('any event sequence keeps a known phase and valid conditions, and Deleting is never left', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let state = initialSandboxState();
        steps.forEach((choice, i) => {
          const before = state.phase;
          const event = eventFor(before, choice);
          try {
            state = transitionSandbox(state, event, at(i));
            assert.ok(canTransitionSandbox(before, event.type));
          } catch (error) {
            if (!isPaddockError(error, ErrorCode.InvalidTransition)) throw error;
            assert.ok(!canTransitionSandbox(before, event.type));
          }
          assert.ok(PHASES.includes(state.phase));
          assert.ok(Object.values(SandboxReason).some((reason) => reason === state.reason));
          if (before === 'Deleting') assert.equal(state.phase, 'Deleting');
          const types = state.conditions.map((c) => Condition.parse(c).type);
          assert.equal(new Set(types).size, types.length);
        });
      }),
      { numRuns: 500 },
    );
  });
});
