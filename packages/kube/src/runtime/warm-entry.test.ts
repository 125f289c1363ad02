import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_VERSION, Sandbox, type SandboxEnvironment } from '@paddock/core';
import { assertRejectsWith } from '@paddock/testkit';
import { sandboxInstance } from '../objects/labels.ts';
import { resolveObjectOptions } from '../objects/options.ts';
import { instanceObjects } from '../objects/sandbox-objects.ts';
import { instanceFromRef } from './instance-ref.ts';
import {
  entryClaimPatch,
  entryInstance,
  entryNamespace,
  refOfOwned,
  templateOf,
} from './warm-entry.ts';

const options = resolveObjectOptions();
const environment: SandboxEnvironment = { image: 'registry.example/agent:1' };
const entry = { namespace: 'paddock-warm', name: 'w-0a1b2c3d4e-5f6a7b8c', uid: 'e-1' };
const template = {
  kind: 'SandboxTemplate' as const,
  name: 'shell',
  namespace: 'team-a',
  uid: 't-1',
};

describe('warm-pool entries on pods', () => {
  it("live in the template's namespace; a cluster template's are refused", async () => {
    assert.equal(entryNamespace(template), 'team-a');
    await assertRejectsWith(
      Promise.resolve().then(() =>
        entryNamespace({ kind: 'ClusterSandboxTemplate', name: 'shell', uid: 'c' }),
      ),
      'runtime_unavailable',
    );
  });

  it('are warm instances carrying the entry; listed by the entry while unclaimed', () => {
    const instance = entryInstance(templateOf(template, 'team-a'), environment, entry, options);
    assert.equal(instance.name, `shell-warm-${entry.name}`);
    assert.equal(instance.owner.kind, 'SandboxTemplate');
    assert.equal(instance.owner.uid, 't-1');
    const { pod, workspaceClaim } = instanceObjects(instance, environment, options);
    assert.deepEqual(refOfOwned(pod, options), entry);
    assert.deepEqual(refOfOwned(workspaceClaim, options), entry);
  });

  it('refuse an entry whose name or uid is no label value', async () => {
    await assertRejectsWith(
      Promise.resolve().then(() =>
        entryInstance(
          templateOf(template, 'team-a'),
          environment,
          { ...entry, uid: 'a/b' },
          options,
        ),
      ),
      'validation_failed',
      (error) => assert.match(error.message, /uid must be label values/),
    );
  });

  it('are known by their instance name once claimed; cold sandboxes by their Sandbox name', () => {
    const instance = entryInstance(templateOf(template, 'team-a'), environment, entry, options);
    const { pod } = instanceObjects(instance, environment, options);
    const claimant = { namespace: 'team-a', name: 'box', uid: 's-1' };
    const patch = entryClaimPatch(claimant, { name: 'shell' }, options, '7');
    assert.equal(patch.metadata.resourceVersion, '7');
    const labels = { ...pod.metadata?.labels, ...patch.metadata.labels };
    const claimed = {
      metadata: {
        ...pod.metadata,
        labels: Object.fromEntries(
          Object.entries(labels).filter((pair): pair is [string, string] => pair[1] !== null),
        ),
        ownerReferences: patch.metadata.ownerReferences,
      },
    };
    assert.equal(claimed.metadata.labels['paddock.dev/warm-entry'], undefined);
    assert.equal(claimed.metadata.labels['paddock.dev/warm-pool'], undefined);
    assert.deepEqual(refOfOwned(claimed, options), {
      namespace: 'team-a',
      name: instance.name,
      uid: 's-1',
    });
    // The instance `start` rebuilds for the claimed ref labels the pod as the claim did.
    const rebuilt = instanceFromRef(
      { namespace: 'team-a', name: instance.name, uid: 's-1' },
      environment,
      { name: 'shell' },
      options,
      'box',
    );
    assert.deepEqual(rebuilt.labels, {
      ...Object.fromEntries(
        Object.entries(claimed.metadata.labels).filter(
          ([k]) => k !== 'app.kubernetes.io/component',
        ),
      ),
    });
    const cold = Sandbox.parse({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'box', namespace: 'team-a', uid: 's-2' },
      spec: { templateRef: { name: 'shell' } },
      status: { phase: 'Creating', resolved: environment },
    });
    const coldPod = instanceObjects(sandboxInstance(cold, options), environment, options).pod;
    assert.deepEqual(refOfOwned(coldPod, options), {
      namespace: 'team-a',
      name: 'box',
      uid: 's-2',
    });
  });
});
