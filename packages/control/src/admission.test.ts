import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '@paddock/core';
import { admitSandbox } from './admission.ts';
import {
  openTempStores,
  sandboxManifest,
  type TempStores,
  templateManifest,
} from './test-harness.ts';

describe('sandbox admission', () => {
  // Two stores: `store` holds the template and the policy; `counted` holds a Running sandbox.
  let stores: TempStores;
  let others: TempStores;
  before(async () => {
    stores = await openTempStores();
    others = await openTempStores();
    await stores.store.create(templateManifest('shell'));
    await stores.store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { sandboxes: { maxPerNamespace: 1 } },
    });
    const held = await others.store.create(sandboxManifest('held'));
    await others.store.updateStatus({
      ...held,
      status: { phase: 'Running', conditions: [] },
    } as Sandbox);
  });
  after(async () => {
    await stores.close();
    await others.close();
  });

  it('counts the sandboxes holding quota where it is told to, else in the store', async () => {
    const candidate = sandboxManifest('new');
    assert.equal((await admitSandbox(stores.store, candidate)).admitted, true);
    const result = await admitSandbox(stores.store, candidate, { sandboxes: others.store });
    assert.equal(result.admitted, false);
    assert.deepEqual(result.admitted ? [] : result.violations.map((v) => v.code), [
      'namespace_quota_exceeded',
    ]);
  });
});
