import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Condition, findCondition, isConditionTrue, setCondition } from './conditions.ts';

const t0 = new Date('2025-01-01T00:00:00.000Z');
const t1 = new Date('2025-01-01T00:01:00.000Z');

const ready: Condition = {
  type: 'Ready',
  status: 'False',
  reason: 'Provisioning',
  message: 'provisioning',
  lastTransitionTime: t0.toISOString(),
};
const admitted: Condition = {
  type: 'Admitted',
  status: 'True',
  reason: 'Admitted',
  message: 'admitted by policy',
  lastTransitionTime: t0.toISOString(),
};

describe('Condition schema', () => {
  it('accepts a Kubernetes-shaped condition, with or without observedGeneration', () => {
    assert.deepEqual(Condition.parse(ready), ready);
    const withGeneration = { ...ready, observedGeneration: 3 };
    assert.deepEqual(Condition.parse(withGeneration), withGeneration);
    assert.ok(Condition.safeParse({ ...ready, type: 'paddock.dev/Ready' }).success);
  });

  it('rejects a bad status, reason, type or timestamp', () => {
    assert.ok(!Condition.safeParse({ ...ready, status: 'true' }).success);
    assert.ok(!Condition.safeParse({ ...ready, reason: '' }).success);
    assert.ok(!Condition.safeParse({ ...ready, reason: 'not camel case' }).success);
    assert.ok(!Condition.safeParse({ ...ready, type: '' }).success);
    assert.ok(!Condition.safeParse({ ...ready, lastTransitionTime: 'yesterday' }).success);
    assert.ok(!Condition.safeParse({ ...ready, observedGeneration: -1 }).success);
  });
});

describe('setCondition', () => {
  it('appends a new condition with lastTransitionTime from now', () => {
    const next = setCondition(
      [admitted],
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
      t1,
    );
    assert.deepEqual(next, [
      admitted,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Ready',
        message: 'ok',
        lastTransitionTime: t1.toISOString(),
      },
    ]);
  });

  it('keeps lastTransitionTime when the status did not change, updating reason and message', () => {
    const next = setCondition(
      [ready],
      { type: 'Ready', status: 'False', reason: 'Stopping', message: 'stopping' },
      t1,
    );
    assert.deepEqual(next, [{ ...ready, reason: 'Stopping', message: 'stopping' }]);
  });

  it('moves lastTransitionTime to now when the status changed', () => {
    const next = setCondition(
      [ready],
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'running' },
      t1,
    );
    assert.equal(next[0]?.lastTransitionTime, t1.toISOString());
    assert.equal(next[0]?.status, 'True');
  });

  it('replaces in place, keeping the order of the other conditions', () => {
    const next = setCondition([ready, admitted], { ...ready, status: 'True', reason: 'Ready' }, t1);
    assert.deepEqual(
      next.map((c) => c.type),
      ['Ready', 'Admitted'],
    );
    assert.equal(next[1], admitted);
  });

  it('sets observedGeneration when given and drops it when not', () => {
    const withGeneration = setCondition([ready], { ...ready, observedGeneration: 2 }, t1);
    assert.equal(withGeneration[0]?.observedGeneration, 2);
    const without = setCondition(
      withGeneration,
      { type: 'Ready', status: 'False', reason: 'Provisioning', message: '' },
      t1,
    );
    assert.equal(without[0] !== undefined && 'observedGeneration' in without[0], false);
  });

  it('does not modify its input and is deterministic', () => {
    const input = Object.freeze([Object.freeze({ ...ready })]);
    const update = { type: 'Ready', status: 'True', reason: 'Ready', message: 'running' } as const;
    const a = setCondition(input, update, t1);
    const b = setCondition(input, update, t1);
    assert.deepEqual(a, b);
    assert.notEqual(a, input);
    assert.deepEqual(input, [ready]);
  });
});

describe('findCondition / isConditionTrue', () => {
  it('finds by type and reads the status', () => {
    assert.equal(findCondition([ready, admitted], 'Admitted'), admitted);
    assert.equal(findCondition([ready], 'Admitted'), undefined);
    assert.equal(isConditionTrue([ready, admitted], 'Admitted'), true);
    assert.equal(isConditionTrue([ready, admitted], 'Ready'), false);
    assert.equal(isConditionTrue([], 'Ready'), false);
    assert.equal(isConditionTrue([{ ...admitted, status: 'Unknown' }], 'Admitted'), false);
  });
});
