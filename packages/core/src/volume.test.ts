import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition } from './conditions.ts';
import { isPaddockError } from './errors.ts';
import { parseResource } from './resources.ts';
import { transitionVolume, VolumePhase, volumeSizeBytes } from './volume.ts';

const now = new Date('2026-03-01T12:00:00Z');

describe('Volume', () => {
  it('becomes Available, or Failed and Available on a later try', () => {
    const pending = { phase: VolumePhase.Pending, conditions: [] as Condition[] };
    const failed = transitionVolume(pending, { type: 'ProvisionFailed', message: 'no loop' }, now);
    assert.equal(failed.phase, 'Failed');
    const ready = transitionVolume(failed, { type: 'Provisioned' }, now);
    assert.equal(ready.phase, 'Available');
    assert.equal(ready.conditions[0]?.status, 'True');
    assert.throws(
      () => transitionVolume(ready, { type: 'ProvisionFailed', message: 'x' }, now),
      (e) => isPaddockError(e, 'invalid_transition'),
    );
  });

  it('takes sizes from 16Mi to 16Ti, in bytes', () => {
    assert.equal(volumeSizeBytes({ size: '1Gi' }), 1024 ** 3);
    assert.equal(volumeSizeBytes({}), undefined);
    assert.throws(
      () =>
        parseResource({
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Volume',
          metadata: { name: 'v', namespace: 'default' },
          spec: { size: '1Ki' },
        }),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.size/.test(e.message),
    );
  });

  it('a sandbox mounts volumes only where template mounts may go', () => {
    const sandbox = (mountPath: string) => ({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 's', namespace: 'default' },
      spec: { templateRef: { name: 't' }, volumes: [{ name: 'cache', mountPath }] },
    });
    assert.equal(parseResource(sandbox('/workspace/cache')).kind, 'Sandbox');
    for (const bad of ['/etc', '/workspace', 'relative', '/usr/lib'])
      assert.throws(
        () => parseResource(sandbox(bad)),
        (e) =>
          isPaddockError(e, 'validation_failed') &&
          /spec\.volumes\.0\.mountPath|spec\.volumes\[0\]\.mountPath/.test(e.message),
        bad,
      );
  });
});
