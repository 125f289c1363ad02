import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EventReader,
  type KubeTestServer,
  kubeSkipReason,
  runStoreContract,
  startKubeTestServer,
  template,
  uniqueName,
} from '@paddock/testkit';
import type { KubeClient } from '../client/kube-client.ts';
import { KubeStore } from './kube-store.ts';
import { prepareServer, storeUnderTest } from './test-stores.ts';

const skip = kubeSkipReason ?? false;
let server: KubeTestServer | undefined;
let client: KubeClient | undefined;

before(async () => {
  if (skip !== false) return;
  server = await startKubeTestServer();
  client = await prepareServer(server);
});
after(async () => {
  client?.close();
  await server?.stop();
});

/** The client of this file's server (set up in `before`). */
function theClient(): KubeClient {
  assert.ok(client !== undefined, 'the API server is up');
  return client;
}

const DELETE_VERSION =
  "the API answers a delete with a bare Status, so the store returns the object as last read (its last write's resourceVersion); the DELETED event carries the deletion's own version. The rest of this case is checked in this file's 'a delete returns the last state' test";

if (skip === false) {
  runStoreContract(
    'kubernetes (watch cache on, as on a cluster)',
    async () => storeUnderTest(theClient(), server?.full ?? false),
    {
      skip: {
        'a DELETED event carries the last state of the object': DELETE_VERSION,
        'watch from a compacted resourceVersion is expired':
          "with the watch cache on, a watch from an old version is served from the cache's window of recent events, which no compaction shortens on demand; kube-store-etcd.test.ts runs this case with --watch-cache=false",
      },
    },
  );
}

describe('KubeStore', { skip }, () => {
  it('a delete returns the last state; the DELETED event carries it at the deletion version', async () => {
    const store = new KubeStore(theClient());
    const ns = uniqueName('ns');
    const created = await store.create(template(ns, 'last', { labels: { stage: 'one' } }));
    const watch = new EventReader(
      store.watch('SandboxTemplate', {
        namespace: ns,
        resourceVersion: created.metadata.resourceVersion ?? '',
      }),
    );
    try {
      const updated = await store.update({
        ...created,
        metadata: { ...created.metadata, labels: { stage: 'final' } },
        spec: { description: 'end' },
      });
      const result = await store.delete('SandboxTemplate', { namespace: ns, name: 'last' });
      assert.equal(result.status, 'deleted');
      assert.deepEqual(result.object, updated);
      await watch.next();
      const deleted = await watch.next();
      assert.equal(deleted.type, 'DELETED');
      assert.deepEqual(deleted.object.metadata.labels, { stage: 'final' });
      assert.equal(deleted.object.spec.description, 'end');
      assert.equal(deleted.object.metadata.uid, created.metadata.uid);
      assert.ok(
        Number(deleted.object.metadata.resourceVersion) > Number(updated.metadata.resourceVersion),
        'the DELETED event is at the deletion version',
      );
    } finally {
      await watch.close();
      await store.close();
    }
  });

  it('a watcher costs one request per stream, none per change', async () => {
    const store = new KubeStore(theClient());
    const ns = uniqueName('ns');
    const before = theClient().stats;
    const watch = new EventReader(store.watch('SandboxTemplate', { namespace: ns }));
    try {
      const changes = 20;
      for (let i = 0; i < changes; i++) await store.create(template(ns, `t${i}`));
      assert.equal((await watch.take(changes)).length, changes);
      const after = theClient().stats;
      const delta = (verb: string) => (after.byVerb[verb] ?? 0) - (before.byVerb[verb] ?? 0);
      assert.equal(delta('WATCH'), 1, 'one watch stream');
      assert.equal(delta('POST'), changes, 'one request per create');
      assert.equal(delta('GET'), 1, 'one list of one item, to start the watch from now');
      assert.equal(after.requests - before.requests, changes + 2);
    } finally {
      await watch.close();
      await store.close();
    }
  });

  it('returns objects that carry no field of the API server beyond core ObjectMeta', async () => {
    const store = new KubeStore(theClient());
    const ns = uniqueName('ns');
    try {
      await store.create(template(ns, 'f', { finalizers: ['paddock.dev/x'] }));
      const { object } = await store.delete('SandboxTemplate', { namespace: ns, name: 'f' });
      assert.deepEqual(Object.keys(object.metadata).sort(), [
        'creationTimestamp',
        'deletionTimestamp',
        'finalizers',
        'generation',
        'name',
        'namespace',
        'resourceVersion',
        'uid',
      ]);
      await store.update({ ...object, metadata: { ...object.metadata, finalizers: [] } });
    } finally {
      await store.close();
    }
  });
});
