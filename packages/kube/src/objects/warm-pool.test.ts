import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SandboxEnvironment } from '@paddock/core';
import type { Pod } from './kube-types.ts';
import { environmentHash } from './labels.ts';
import { resolveObjectOptions } from './options.ts';
import { checkPodSecurity } from './pod-security.ts';
import { sandboxObjects } from './sandbox-objects.ts';
import { admittedSandbox, allObjects, template, validateObject } from './test-fixtures.ts';
import {
  claimPatch,
  planWarmPool,
  type WarmPoolMember,
  warmPoolMember,
  warmPoolObjects,
  warmPoolSelector,
} from './warm-pool.ts';

const options = resolveObjectOptions();
const ENV: SandboxEnvironment = {
  image: 'i',
  command: ['agent'],
  network: { egress: 'allowlist', allowedDomains: ['a.example'] },
};
const HASH = environmentHash(ENV);

const member = (name: string, over: Partial<WarmPoolMember> = {}): WarmPoolMember => ({
  name,
  envHash: HASH,
  isReady: true,
  isFinished: false,
  isDeleting: false,
  creationTimestamp: `2026-01-01T00:00:0${name.at(-1)}.000Z`,
  ...over,
});

/** RFC 7386 JSON merge patch, as the API server applies `application/merge-patch+json`. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

describe('planWarmPool', () => {
  it('creates the shortfall of an empty or short pool', () => {
    assert.deepEqual(planWarmPool(HASH, [], 3), { create: 3, delete: [] });
    assert.deepEqual(planWarmPool(HASH, [member('w1')], 3), { create: 2, delete: [] });
  });

  it('replaces members of another environment and ended ones, ignores those being deleted', () => {
    const plan = planWarmPool(
      HASH,
      [
        member('w1', { envHash: 'stale' }),
        member('w2', { isFinished: true }),
        member('w3', { isDeleting: true }),
        member('w4'),
      ],
      2,
    );
    assert.deepEqual(plan, { create: 1, delete: ['w1', 'w2'] });
  });

  it('trims a pool above its size: members not ready first, then the newest', () => {
    const plan = planWarmPool(
      HASH,
      [member('w1'), member('w2', { isReady: false }), member('w3'), member('w4')],
      2,
    );
    assert.deepEqual(plan, { create: 0, delete: ['w4', 'w2'] });
    assert.deepEqual(planWarmPool(HASH, [member('w1')], 0), { create: 0, delete: ['w1'] });
  });

  it('reads a member off a Pod', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'w1',
        labels: { 'paddock.dev/env-hash': HASH },
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    assert.deepEqual(warmPoolMember(pod, options), {
      name: 'w1',
      envHash: HASH,
      isReady: true,
      isFinished: false,
      isDeleting: false,
      creationTimestamp: '2026-01-01T00:00:00.000Z',
    });
  });
});

describe('warm pool objects and claims', () => {
  const warm = warmPoolObjects(template(ENV), ENV, 'team-a', 'x7k2q', options);

  it('builds a slot owned by its template, labelled for the pool, valid and restricted', () => {
    assert.equal(warm.instance.name, 'base-warm-x7k2q');
    for (const object of allObjects(warm)) {
      validateObject(object);
      const meta = object.metadata;
      assert.equal(meta?.ownerReferences?.[0]?.kind, 'SandboxTemplate');
      assert.equal(meta?.ownerReferences?.[0]?.uid, 'uid-template-base');
      assert.equal(meta?.ownerReferences?.[0]?.controller, true);
      for (const [key, value] of Object.entries(
        warmPoolSelector({ name: 'base' }, options, HASH),
      )) {
        assert.equal(meta?.labels?.[key], value, key);
      }
      assert.equal(meta?.labels?.['paddock.dev/sandbox'], undefined);
    }
    assert.ok(warm.egressProxy, 'the sidecar-free proxy variant is part of the slot');
    for (const pod of [warm.pod, warm.egressProxy.pod]) assert.deepEqual(checkPodSecurity(pod), []);
  });

  it('is claimed by a patch that relabels and re-owns every object, as building it for the Sandbox would', () => {
    const sandbox = admittedSandbox(ENV, 'box', 'uid-box-9');
    const patch = claimPatch(sandbox, options, '42');
    const built = sandboxObjects(sandbox, options, { instanceName: warm.instance.name });
    const warmList = allObjects(warm);
    const builtList = allObjects(built).filter(
      (o) => o.kind !== 'Service' || o.metadata?.name?.endsWith('-egress'),
    );
    assert.equal(warmList.length, builtList.length);
    for (const [i, object] of warmList.entries()) {
      const claimed = mergePatch(object, patch) as typeof object;
      assert.deepEqual(claimed.metadata?.labels, builtList[i]?.metadata?.labels);
      assert.deepEqual(claimed.metadata?.ownerReferences, builtList[i]?.metadata?.ownerReferences);
      assert.equal(claimed.metadata?.name, builtList[i]?.metadata?.name);
    }
    assert.equal(patch.metadata.resourceVersion, '42');
    assert.deepEqual(
      built.pod.spec,
      warm.pod.spec,
      'the claimed pod runs exactly as a cold one would',
    );
  });
});
