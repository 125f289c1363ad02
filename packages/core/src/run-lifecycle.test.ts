import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Condition, findCondition } from './conditions.ts';
import { ErrorCode, isPaddockError } from './errors.ts';
import {
  canTransitionRun,
  initialRunState,
  isTerminalRunPhase,
  type RunEvent,
  type RunEventType,
  type RunLifecycleState,
  type RunPhase,
  RunReason,
  runEventTypes,
  runPhases,
  terminalRunPhases,
  transitionRun,
} from './run-lifecycle.ts';

const t0 = new Date('2025-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

// Written out by hand, not derived from the module: a table entry gained or lost fails a test.
const PHASES: RunPhase[] = [
  'Pending',
  'Starting',
  'Running',
  'Succeeded',
  'Failed',
  'Cancelled',
  'BudgetExceeded',
  'TimedOut',
];
const TERMINAL: RunPhase[] = ['Succeeded', 'Failed', 'Cancelled', 'BudgetExceeded', 'TimedOut'];
const SAMPLE: { [E in RunEventType]: Extract<RunEvent, { type: E }> } = {
  SandboxAssigned: { type: 'SandboxAssigned', sandboxName: 'sbx-1' },
  HarnessStarted: { type: 'HarnessStarted' },
  Completed: { type: 'Completed', result: { text: 'done', exitCode: 0 } },
  Failed: { type: 'Failed', message: 'harness exited with code 2', exitCode: 2 },
  CancelRequested: { type: 'CancelRequested' },
  BudgetExceeded: { type: 'BudgetExceeded', limit: 'maxUsd' },
  TimedOut: { type: 'TimedOut' },
};
const EVENT_TYPES = Object.keys(SAMPLE) as RunEventType[];
const EXPECTED: Array<[RunPhase, RunEventType, RunPhase]> = [
  ['Pending', 'SandboxAssigned', 'Starting'],
  ['Pending', 'Failed', 'Failed'],
  ['Pending', 'CancelRequested', 'Cancelled'],
  ['Pending', 'TimedOut', 'TimedOut'],
  ['Starting', 'HarnessStarted', 'Running'],
  ['Starting', 'Failed', 'Failed'],
  ['Starting', 'CancelRequested', 'Cancelled'],
  ['Starting', 'BudgetExceeded', 'BudgetExceeded'],
  ['Starting', 'TimedOut', 'TimedOut'],
  ['Running', 'Completed', 'Succeeded'],
  ['Running', 'Failed', 'Failed'],
  ['Running', 'CancelRequested', 'Cancelled'],
  ['Running', 'BudgetExceeded', 'BudgetExceeded'],
  ['Running', 'TimedOut', 'TimedOut'],
];
const expectedNext = (phase: RunPhase, type: RunEventType) =>
  EXPECTED.find(([from, event]) => from === phase && event === type)?.[2];

const PATHS: { [P in RunPhase]: RunEventType[] } = {
  Pending: [],
  Starting: ['SandboxAssigned'],
  Running: ['SandboxAssigned', 'HarnessStarted'],
  Succeeded: ['SandboxAssigned', 'HarnessStarted', 'Completed'],
  Failed: ['SandboxAssigned', 'HarnessStarted', 'Failed'],
  Cancelled: ['CancelRequested'],
  BudgetExceeded: ['SandboxAssigned', 'HarnessStarted', 'BudgetExceeded'],
  TimedOut: ['SandboxAssigned', 'TimedOut'],
};
/** A state reached through real transitions, one minute apart. */
function reach(phase: RunPhase): RunLifecycleState {
  return PATHS[phase].reduce(
    (state, type, i) => transitionRun(state, SAMPLE[type], at(i + 1)),
    initialRunState(),
  );
}
const apply = (state: RunLifecycleState, type: RunEventType, minutes = 30) =>
  transitionRun(state, SAMPLE[type], at(minutes));
const condition = (state: RunLifecycleState, type: string) => findCondition(state.conditions, type);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('run lifecycle table', () => {
  it('has exactly the phases, event types and terminal phases listed here', () => {
    assert.deepEqual(runPhases, PHASES);
    assert.deepEqual([...runEventTypes].sort(), [...EVENT_TYPES].sort());
    assert.deepEqual(terminalRunPhases, TERMINAL);
    assert.deepEqual(PHASES.filter(isTerminalRunPhase), TERMINAL);
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
        const state: RunLifecycleState = { ...initialRunState(), phase };
        assert.equal(canTransitionRun(phase, type), next !== undefined, `${phase} + ${type}`);
        if (next !== undefined) {
          allowed++;
          assert.equal(transitionRun(state, SAMPLE[type], t0).phase, next);
          continue;
        }
        assert.throws(
          () => transitionRun(state, SAMPLE[type], t0),
          (error: unknown) =>
            isPaddockError(error, ErrorCode.InvalidTransition) &&
            error.message === `a ${phase} run does not accept ${type}` &&
            JSON.stringify(error.details) === JSON.stringify({ kind: 'Run', phase, event: type }),
          `${phase} + ${type}`,
        );
      }
    }
    assert.equal(allowed, EXPECTED.length);
  });
});

describe('run transitions set status and conditions', () => {
  it('starts Pending with no conditions', () => {
    assert.deepEqual(initialRunState(), {
      phase: 'Pending',
      conditions: [],
      reason: 'Pending',
      message: 'waiting for a sandbox',
    });
  });

  it('SandboxAssigned records the sandbox; HarnessStarted records startedAt', () => {
    const starting = apply(initialRunState(), 'SandboxAssigned', 1);
    assert.equal(starting.sandboxName, 'sbx-1');
    assert.equal(starting.reason, 'SandboxAssigned');
    assert.equal(condition(starting, 'SandboxAssigned')?.status, 'True');
    assert.equal(condition(starting, 'Finished'), undefined);
    const running = apply(starting, 'HarnessStarted', 2);
    assert.equal(running.startedAt, at(2).toISOString());
    assert.equal(running.reason, 'HarnessStarted');
    assert.equal(running.completedAt, undefined);
  });

  it('Completed: Succeeded with the result and completedAt', () => {
    const state = apply(reach('Running'), 'Completed', 7);
    assert.deepEqual(state.result, { text: 'done', exitCode: 0 });
    assert.equal(state.completedAt, at(7).toISOString());
    assert.equal(state.reason, 'Succeeded');
    assert.equal(condition(state, 'Finished')?.status, 'True');
    assert.equal(condition(state, 'Finished')?.reason, 'Succeeded');
    assert.equal(condition(state, 'Finished')?.lastTransitionTime, at(7).toISOString());
  });

  it('Failed: StartFailed before the harness runs, HarnessFailed after, exit code kept', () => {
    for (const [from, reason] of [
      ['Pending', 'StartFailed'],
      ['Starting', 'StartFailed'],
      ['Running', 'HarnessFailed'],
    ] as const) {
      const state = apply(reach(from), 'Failed');
      assert.equal(state.reason, reason);
      assert.equal(state.message, 'harness exited with code 2');
      assert.deepEqual(state.result, { exitCode: 2 });
      assert.equal(condition(state, 'Finished')?.reason, reason);
    }
    const noCode = transitionRun(reach('Pending'), { type: 'Failed', message: 'no sandbox' }, t0);
    assert.equal('result' in noCode, false);
  });

  it('Cancelled, BudgetExceeded and TimedOut record completedAt and their reason', () => {
    for (const [type, reason] of [
      ['CancelRequested', 'Cancelled'],
      ['BudgetExceeded', 'BudgetExceeded'],
      ['TimedOut', 'TimedOut'],
    ] as const) {
      const state = apply(reach('Running'), type, 8);
      assert.equal(state.reason, reason);
      assert.equal(state.completedAt, at(8).toISOString());
      assert.equal(condition(state, 'Finished')?.reason, reason);
    }
    assert.equal(apply(reach('Running'), 'BudgetExceeded').message, 'budget limit maxUsd exceeded');
  });

  it('copies status fields it does not own through unchanged', () => {
    const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.01, turns: 1, toolCalls: 0 };
    const status = { ...reach('Running'), usage, observedGeneration: 1 };
    const done = transitionRun(status, SAMPLE.Completed, at(9));
    assert.deepEqual(done.usage, usage);
    assert.equal(done.observedGeneration, 1);
  });
});

describe('run transitions are pure', () => {
  for (const [from, type] of EXPECTED) {
    it(`${from} + ${type}: input untouched, deterministic, times from now`, () => {
      const input = deepFreeze(reach(from));
      const snapshot = structuredClone(input);
      const now = at(99);
      const a = transitionRun(input, SAMPLE[type], now);
      const b = transitionRun(input, SAMPLE[type], now);
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

const anyEvent: fc.Arbitrary<RunEvent> = fc.oneof(
  fc.constantFrom(...EVENT_TYPES.map((type) => SAMPLE[type])),
  fc.record({ type: fc.constant('SandboxAssigned'), sandboxName: fc.string({ minLength: 1 }) }),
  fc.record(
    { type: fc.constant('Failed'), message: fc.string(), exitCode: fc.integer() },
    { requiredKeys: ['type', 'message'] },
  ),
  fc.record({
    type: fc.constant('BudgetExceeded'),
    limit: fc.constantFrom('maxUsd', 'maxTurns', 'maxTokens'),
  }),
);

// Half the steps pick an event the current phase accepts, so sequences reach every phase.
const step = fc.oneof(
  anyEvent.map((event) => ({ event })),
  fc.nat().map((pick) => ({ pick })),
);
function eventFor(phase: RunPhase, choice: { event: RunEvent } | { pick: number }): RunEvent {
  if ('event' in choice) return choice.event;
  const accepted = EXPECTED.filter(([from]) => from === phase);
  const entry = accepted[choice.pick % accepted.length];
  return entry === undefined ? SAMPLE.CancelRequested : SAMPLE[entry[1]];
}

describe('run lifecycle properties', () => {
  it('any event sequence keeps a known phase, and a terminal phase never changes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let state = initialRunState();
        steps.forEach((choice, i) => {
          const before = state;
          const event = eventFor(before.phase, choice);
          try {
            state = transitionRun(state, event, at(i));
            assert.ok(!isTerminalRunPhase(before.phase), `${before.phase} accepted ${event.type}`);
          } catch (error) {
            if (!isPaddockError(error, ErrorCode.InvalidTransition)) throw error;
            assert.ok(!canTransitionRun(before.phase, event.type));
          }
          assert.ok(PHASES.includes(state.phase));
          assert.ok(Object.values(RunReason).some((reason) => reason === state.reason));
          if (isTerminalRunPhase(before.phase)) assert.equal(state, before);
          if (isTerminalRunPhase(state.phase)) assert.ok(state.completedAt !== undefined);
          for (const c of state.conditions) Condition.parse(c);
        });
      }),
      { numRuns: 500 },
    );
  });
});
