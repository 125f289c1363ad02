import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../objects/kube-types.ts';
import { observePod } from './pod-observation.ts';

const STARTED = '2026-01-02T03:04:05Z';

function pod(status: NonNullable<Pod['status']>, deleting = false): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'box', ...(deleting ? { deletionTimestamp: STARTED } : {}) },
    spec: { containers: [{ name: 'sandbox' }] },
    status,
  };
}

const ready = { type: 'Ready', status: 'True' };
const waiting = (reason: string, message?: string) => ({
  name: 'sandbox',
  image: 'i',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason, ...(message === undefined ? {} : { message }) } },
});

describe('observePod', () => {
  it('is absent with neither pod nor claim, stopped with the claim alone', () => {
    assert.deepEqual(observePod(undefined, false), { state: 'absent' });
    assert.deepEqual(observePod(undefined, true), { state: 'stopped', limits: 'kubernetes' });
  });

  it('is running once Ready, since its container started', () => {
    const running = pod({
      phase: 'Running',
      startTime: '2026-01-02T03:04:00Z',
      conditions: [ready],
      containerStatuses: [
        {
          name: 'sandbox',
          image: 'i',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: STARTED } },
        },
      ],
    });
    assert.deepEqual(observePod(running, true), {
      state: 'running',
      startedAt: '2026-01-02T03:04:05.000Z',
      limits: 'kubernetes',
    });
  });

  for (const reason of [
    'CrashLoopBackOff',
    'ImagePullBackOff',
    'ErrImagePull',
    'CreateContainerConfigError',
  ]) {
    it(`is failed in ${reason}, with the reason as message`, () => {
      const observation = observePod(
        pod({ phase: 'Pending', containerStatuses: [waiting(reason, 'why')] }),
        true,
      );
      assert.equal(observation.state, 'failed');
      assert.equal(observation.message, `container sandbox: ${reason}: why`);
    });
  }

  it('is failed after an OOM kill, even once restarted', () => {
    const oom = pod({
      phase: 'Running',
      conditions: [ready],
      containerStatuses: [
        {
          name: 'sandbox',
          image: 'i',
          imageID: '',
          ready: true,
          restartCount: 1,
          state: { running: { startedAt: STARTED } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
    });
    assert.equal(observePod(oom, true).state, 'failed');
    assert.match(observePod(oom, true).message ?? '', /OOMKilled/);
  });

  it('is failed when the pod failed, naming the exit', () => {
    const failed = pod({
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'sandbox',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 3, reason: 'Error' } },
        },
      ],
    });
    assert.deepEqual(observePod(failed, true), {
      state: 'failed',
      limits: 'kubernetes',
      message: 'container sandbox: Error: exited with code 3',
    });
    assert.equal(
      observePod(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }), true)
        .message,
      'pod Failed: Evicted low on memory',
    );
  });

  it('is stopped, saying why, while the pod is on its way up or down', () => {
    const creating = observePod(
      pod({ phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] }),
      true,
    );
    assert.equal(creating.state, 'stopped');
    assert.equal(creating.message, 'the pod is not ready yet: ContainerCreating');
    const unscheduled = observePod(
      pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' }],
      }),
      true,
    );
    assert.equal(unscheduled.message, 'the pod is not ready yet: 0/3 nodes are available');
    const deleting = observePod(pod({ phase: 'Running', conditions: [ready] }, true), true);
    assert.deepEqual(deleting, {
      state: 'stopped',
      limits: 'kubernetes',
      message: 'the pod is being deleted',
    });
  });
});
