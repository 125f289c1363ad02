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

  it('counts a Paused sandbox, and a Pending one only when it is told it was admitted', async () => {
    const counted = await openTempStores();
    try {
      const paused = await counted.store.create(sandboxManifest('paused'));
      await counted.store.updateStatus({
        ...paused,
        status: { phase: 'Paused', conditions: [] },
      } as Sandbox);
      const admitted = (options: { admitted?: ReadonlySet<string> } = {}) =>
        admitSandbox(stores.store, sandboxManifest('new'), {
          sandboxes: counted.store,
          ...options,
        });
      assert.equal((await admitted()).admitted, false, 'a Paused sandbox holds quota');
      await counted.store.delete('Sandbox', { namespace: 'default', name: 'paused' });
      const pending = await counted.store.create(sandboxManifest('pending'));
      assert.equal((await admitted()).admitted, true, 'a Pending sandbox is not counted');
      const uid = pending.metadata.uid ?? '';
      assert.equal((await admitted({ admitted: new Set([uid]) })).admitted, false);
    } finally {
      await counted.close();
    }
  });

  it('reads templates where it is told to first, and a chain missing there from the store', async () => {
    // `others` holds a `shell` of its own (the cache's view); `fresh` is in the store alone.
    await others.store.create(templateManifest('shell', { timeout: '2h' }));
    await stores.store.create(templateManifest('fresh', { timeout: '3h' }));
    const timeoutOf = async (template: string) => {
      const candidate = sandboxManifest('new', { templateRef: { name: template } });
      const result = await admitSandbox(stores.store, candidate, { templates: others.store });
      return result.admitted ? result.spec.timeout : result.message;
    };
    assert.equal(await timeoutOf('shell'), '2h');
    assert.equal(await timeoutOf('fresh'), '3h');
    await assert.rejects(timeoutOf('missing'), /missing/);
  });
});

describe('sandbox admission of a shutdown time', () => {
  let stores: TempStores;
  before(async () => {
    stores = await openTempStores();
    await stores.store.create(templateManifest('shell'));
    await stores.store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { maxTimeout: '1h' },
    });
  });
  after(() => stores.close());

  const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

  it('admits a template without a timeout under a maxTimeout when the shutdown time is within it', async () => {
    assert.equal((await admitSandbox(stores.store, sandboxManifest('none'))).admitted, false);
    const within = sandboxManifest('within', { shutdownTime: inMinutes(30) });
    assert.equal((await admitSandbox(stores.store, within)).admitted, true);
  });

  it('refuses a shutdown time past maxTimeout, naming spec.shutdownTime', async () => {
    const result = await admitSandbox(
      stores.store,
      sandboxManifest('late', { shutdownTime: inMinutes(90) }),
    );
    assert.equal(result.admitted, false);
    assert.deepEqual(result.admitted ? [] : result.violations.map((v) => [v.code, v.field]), [
      ['timeout_exceeded', 'spec.shutdownTime'],
    ]);
  });
});
