import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isPaddockError, type Kind } from '@paddock/core';
import {
  openTempStores,
  sandboxManifest,
  type TempStores,
  templateManifest,
} from '../test-harness.ts';
import { CachedStore } from './cached-store.ts';
import { Informer } from './informer.ts';

const key = (name: string) => ({ namespace: 'default', name });

describe('cached store', () => {
  let stores: TempStores;
  let informer: Informer<'Sandbox'>;
  let view: CachedStore;
  beforeEach(async () => {
    stores = await openTempStores();
    // The informer's connection learns of the other connection's commits only when it polls:
    // what the cache holds here it got from the list or from the view's writes.
    const watched = await stores.connect({ pollIntervalMs: 60_000 });
    informer = new Informer(watched, 'Sandbox');
    view = new CachedStore(stores.store, (kind: Kind) =>
      kind === 'Sandbox' ? (informer as Informer<Kind>) : undefined,
    );
  });
  afterEach(async () => {
    await informer.stop();
    await stores.close();
  });

  it('answers reads of an informed kind from the cache, once the first list is in', async () => {
    await stores.store.create(sandboxManifest('listed'));
    const pending = view.get('Sandbox', key('listed'));
    await informer.start();
    assert.equal((await pending).metadata.name, 'listed');
    await stores.store.create(sandboxManifest('unseen'));
    await assert.rejects(view.get('Sandbox', key('unseen')), (e) => isPaddockError(e, 'not_found'));
    assert.deepEqual(
      (await view.list('Sandbox', { namespace: 'default' })).items.map((s) => s.metadata.name),
      ['listed'],
    );
    const paged = await view.list('Sandbox', { limit: 10 });
    assert.deepEqual(
      paged.items.map((s) => s.metadata.name),
      ['listed', 'unseen'],
      'a paged list reads the store',
    );
  });

  it('reads other kinds from the store', async () => {
    await informer.start();
    await stores.store.create(templateManifest('t'));
    assert.equal((await view.get('SandboxTemplate', key('t'))).metadata.name, 't');
  });

  it('reads its own writes back at once, before their watch events', async () => {
    await informer.start();
    const created = await view.create(sandboxManifest('mine'));
    assert.equal((await view.get('Sandbox', key('mine'))).metadata.uid, created.metadata.uid);
    const updated = await view.update({
      ...created,
      metadata: { ...created.metadata, finalizers: ['paddock.dev/test'] },
    });
    const read = await view.get('Sandbox', key('mine'));
    assert.equal(read.metadata.resourceVersion, updated.metadata.resourceVersion);
    const terminating = await view.delete('Sandbox', key('mine'));
    assert.equal(terminating.status, 'terminating');
    assert.ok((await view.get('Sandbox', key('mine'))).metadata.deletionTimestamp);
    await view.update({
      ...terminating.object,
      metadata: { ...terminating.object.metadata, finalizers: [] },
    });
    await assert.rejects(view.get('Sandbox', key('mine')), (e) => isPaddockError(e, 'not_found'));
    await view.create(sandboxManifest('gone'));
    await view.delete('Sandbox', key('gone'));
    await assert.rejects(view.get('Sandbox', key('gone')), (e) => isPaddockError(e, 'not_found'));
  });
});
