import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Sandbox } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { openTempStores, sandboxManifest, type TempStores } from '../test-harness.ts';
import { Informer, type InformerEvent } from './informer.ts';

const names = (items: Sandbox[]) => items.map((s) => s.metadata.name);
const key = (name: string) => ({ namespace: 'default', name });

describe('informer', () => {
  let stores: TempStores;
  let informers: Array<Informer<'Sandbox'>>;
  const inform = (informer: Informer<'Sandbox'>) => {
    informers.push(informer);
    const seen: string[] = [];
    informer.subscribe((e: InformerEvent<Sandbox>) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    return seen;
  };
  beforeEach(async () => {
    stores = await openTempStores();
    informers = [];
  });
  afterEach(async () => {
    await Promise.all(informers.map((informer) => informer.stop()));
    await stores.close();
  });

  it('lists into its cache, then follows the watch from the list version', async () => {
    const { store } = stores;
    await store.create(sandboxManifest('before'));
    const informer = new Informer(store, 'Sandbox');
    const seen = inform(informer);
    const previous = new Map<string, Sandbox | undefined>();
    informer.subscribe((e) => previous.set(`${e.type} ${e.object.metadata.name}`, e.previous));
    await informer.start();
    assert.deepEqual(seen, ['ADDED before'], 'the list, before start() resolves');
    assert.equal(informer.get(key('before'))?.metadata.name, 'before');
    const later = await store.create(sandboxManifest('later'));
    await store.update({ ...later, metadata: { ...later.metadata, labels: { team: 'a' } } });
    await store.delete('Sandbox', key('before'));
    await eventually(() => seen.length === 4, { what: 'the watch events', intervalMs: 5 });
    assert.deepEqual(seen, ['ADDED before', 'ADDED later', 'MODIFIED later', 'DELETED before']);
    assert.equal(previous.get('ADDED later'), undefined);
    assert.equal(
      previous.get('MODIFIED later')?.metadata.resourceVersion,
      later.metadata.resourceVersion,
    );
    assert.equal(previous.get('DELETED before')?.metadata.name, 'before');
    assert.equal(informer.get(key('before')), undefined);
    assert.deepEqual(names(informer.list()), ['later']);
    assert.deepEqual(names(informer.list({ labelSelector: 'team=a' })), ['later']);
    assert.deepEqual(informer.list({ namespace: 'other' }), []);
    assert.equal(informer.resourceVersion, (await store.list('Sandbox')).resourceVersion);
    assert.ok(Object.isFrozen(informer.get(key('later'))?.metadata), 'cached objects are frozen');
  });

  it('stops during a first list that fails: start rejects, stop resolves', async () => {
    const { store } = stores;
    let failList: ((error: Error) => void) | undefined;
    const failing = Object.create(store, {
      list: {
        value: () =>
          new Promise((_, reject) => {
            failList = reject;
          }),
      },
    }) as typeof store;
    const informer = new Informer(failing, 'Sandbox');
    const started = informer.start();
    await eventually(() => failList !== undefined, { what: 'the first list asked' });
    const stopped = informer.stop();
    failList?.(new Error('the store is gone'));
    await assert.rejects(started, /the store is gone/);
    await stopped;
  });

  it('lists again when its watch has expired, and reports what changed meanwhile', async () => {
    const writer = stores.store;
    // Commits of `writer` reach this connection's watches only when they poll: not in this test.
    const watched = await stores.connect({ pollIntervalMs: 60_000 });
    const kept = await writer.create(sandboxManifest('kept'));
    await writer.create(sandboxManifest('removed'));
    await writer.create(sandboxManifest('unchanged'));
    const informer = new Informer(watched, 'Sandbox');
    const seen = inform(informer);
    const previous = new Map<string, Sandbox | undefined>();
    informer.subscribe((e) => previous.set(`${e.type} ${e.object.metadata.name}`, e.previous));
    await informer.start();
    seen.length = 0;
    await writer.update({ ...kept, metadata: { ...kept.metadata, labels: { team: 'b' } } });
    await writer.delete('Sandbox', key('removed'));
    await writer.create(sandboxManifest('added'));
    await writer.compact();
    // A Sandbox committed through the watched connection wakes its watch, which finds its
    // version expired.
    await watched.create(sandboxManifest('wake'));
    await eventually(() => seen.length === 5, { what: 'the relist', intervalMs: 5 });
    assert.deepEqual(seen.sort(), [
      'ADDED added',
      'ADDED wake',
      'DELETED removed',
      'MODIFIED kept',
      'RESYNC unchanged',
    ]);
    assert.deepEqual(names(informer.list()), ['added', 'kept', 'unchanged', 'wake']);
    assert.equal(informer.get(key('kept'))?.metadata.labels?.team, 'b');
    // Each change comes with the object as it was before the watch was lost.
    assert.equal(previous.get('MODIFIED kept')?.metadata.labels?.team, undefined);
    assert.equal(
      previous.get('MODIFIED kept')?.metadata.resourceVersion,
      kept.metadata.resourceVersion,
    );
    assert.equal(previous.get('DELETED removed')?.metadata.name, 'removed');
    assert.equal(previous.get('ADDED added'), undefined);
    await writer.create(sandboxManifest('after'));
    await watched.create(sandboxManifest('wake-again'));
    await eventually(() => seen.includes('ADDED after'), {
      what: 'the watch from the new list',
      intervalMs: 5,
    });
  });

  it('keeps a newer object its watch brought over an older write acknowledged later', async () => {
    const informer = new Informer(stores.store, 'Sandbox');
    await informer.start();
    const older = await stores.store.create(sandboxManifest('raced'));
    const newer = await stores.store.update({
      ...older,
      metadata: { ...older.metadata, labels: { team: 'b' } },
    });
    const cachedVersion = () => informer.get(key('raced'))?.metadata.resourceVersion;
    await eventually(() => cachedVersion() === newer.metadata.resourceVersion, {
      what: 'the newer version from the watch',
      intervalMs: 5,
    });
    informer.observe(older);
    assert.equal(cachedVersion(), newer.metadata.resourceVersion, 'observe went back');
    informer.forget(key('raced'), older.metadata.resourceVersion);
    assert.equal(cachedVersion(), newer.metadata.resourceVersion, 'forget dropped a newer one');
    informer.forget(key('raced'), newer.metadata.resourceVersion);
    assert.equal(informer.get(key('raced')), undefined);
    await informer.stop();
  });

  it('hands every cached object to its handlers again at each resync', async () => {
    await stores.store.create(sandboxManifest('a'));
    await stores.store.create(sandboxManifest('b'));
    const informer = new Informer(stores.store, 'Sandbox', { resyncMs: 10 });
    const seen = inform(informer);
    await informer.start();
    await eventually(() => seen.filter((e) => e === 'RESYNC a').length >= 2, {
      what: 'two resyncs',
      intervalMs: 5,
    });
    assert.ok(seen.includes('RESYNC b'));
    await informer.stop();
    const count = seen.length;
    // Three resync periods pass: none may fire after stop().
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(seen.length, count, 'no resync after stop()');
  });

  it('takes in its own process’s writes before their watch events, and forgets deletes', async () => {
    const writer = stores.store;
    const watched = await stores.connect({ pollIntervalMs: 60_000 });
    const created = await writer.create(sandboxManifest('a'));
    const informer = new Informer(watched, 'Sandbox');
    inform(informer);
    await informer.start();
    const updated = await writer.update({
      ...created,
      metadata: { ...created.metadata, labels: { v: '2' } },
    });
    assert.equal(informer.get(key('a'))?.metadata.labels?.v, undefined, 'not watched yet');
    informer.observe(updated);
    assert.equal(
      informer.get(key('a'))?.metadata.resourceVersion,
      updated.metadata.resourceVersion,
    );
    informer.forget(key('a'));
    assert.equal(informer.get(key('a')), undefined);
  });
});
