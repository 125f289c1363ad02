import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition } from './conditions.ts';
import { isPaddockError } from './errors.ts';
import { parseResource } from './resources.ts';
import { SnapshotPhase, transitionSnapshot } from './sandbox-snapshot.ts';

const now = new Date('2026-03-01T12:00:00Z');
const pending = { phase: SnapshotPhase.Pending, conditions: [] as Condition[] };

describe('SandboxSnapshot', () => {
  it('goes Pending → Ready with a Ready condition, and a repeat changes nothing', () => {
    const started = transitionSnapshot(pending, { type: 'CaptureStarted' }, now);
    assert.equal(started.phase, 'Pending');
    assert.equal(started.conditions[0]?.status, 'False');
    const ready = transitionSnapshot(started, { type: 'Captured', message: '4096 bytes' }, now);
    assert.equal(ready.phase, 'Ready');
    assert.deepEqual(
      ready.conditions.map((c) => [c.type, c.status, c.reason]),
      [['Ready', 'True', 'Captured']],
    );
    assert.equal(transitionSnapshot(ready, { type: 'Captured' }, now), ready);
  });

  it('fails for good: a failed snapshot is never captured later', () => {
    const failed = transitionSnapshot(pending, { type: 'CaptureFailed', message: 'gone' }, now);
    assert.equal(failed.phase, 'Failed');
    assert.throws(
      () => transitionSnapshot(failed, { type: 'Captured' }, now),
      (e) => isPaddockError(e, 'invalid_transition'),
    );
  });

  it('names every bad field of a manifest', () => {
    assert.throws(
      () =>
        parseResource({
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'SandboxSnapshot',
          metadata: { name: 's', namespace: 'default' },
          spec: { sandboxRef: { name: 'Bad Name' }, retention: { ttl: 'soon', keepLast: 0 } },
        }),
      (e) =>
        isPaddockError(e, 'validation_failed') &&
        /spec\.sandboxRef\.name/.test(e.message) &&
        /spec\.retention\.ttl/.test(e.message) &&
        /spec\.retention\.keepLast/.test(e.message),
    );
  });
});
