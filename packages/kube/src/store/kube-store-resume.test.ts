// How KubeStore reads the API's watch stream, against a stand-in API server: where a watch from
// now starts, bookmarks, resuming when the server ends a stream, 410 Gone mid-stream.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { API_VERSION } from '@paddock/core';
import { assertRejectsWith, EventReader } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { json, type StandInApi, startStandInApi, stream } from '../client/stand-in-api.ts';
import { KubeStore } from './kube-store.ts';

const PATH = '/apis/paddock.dev/v1alpha1/namespaces/ns/sandboxtemplates';

function added(name: string, resourceVersion: string) {
  const metadata = { name, namespace: 'ns', resourceVersion, managedFields: [{ manager: 'x' }] };
  return {
    type: 'ADDED',
    object: { apiVersion: API_VERSION, kind: 'SandboxTemplate', metadata, spec: {} },
  };
}

describe('KubeStore watch streams (stand-in server)', () => {
  let api: StandInApi;
  let client: KubeClient;
  let store: KubeStore;

  before(async () => {
    api = await startStandInApi();
    client = await KubeClient.fromKubeconfig(api.kubeconfig, { backoffMs: 5 });
  });
  beforeEach(() => {
    api.answers = [];
    api.seen.length = 0;
    store = new KubeStore(client);
  });
  after(async () => {
    await store.close();
    client.close();
    await api.close();
  });

  it('starts from the listed version, skips bookmarks, and resumes after the last one', async () => {
    api.answers = [
      json({ metadata: { resourceVersion: '5' }, items: [] }),
      stream([
        added('a', '6'),
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } },
      ]),
      stream([added('b', '10')], true),
    ];
    const watch = new EventReader(store.watch('SandboxTemplate', { namespace: 'ns' }));
    try {
      assert.deepEqual(await watch.take(2), ['ADDED ns/a', 'ADDED ns/b']);
      const paths = api.seen.map((line) => line.split(' ')[1]);
      assert.deepEqual(paths, [
        `${PATH}?limit=1`,
        `${PATH}?resourceVersion=5&watch=true&allowWatchBookmarks=true`,
        `${PATH}?resourceVersion=9&watch=true&allowWatchBookmarks=true`,
      ]);
    } finally {
      await watch.close();
    }
  });

  it('is expired when the stream reports 410 Gone', async () => {
    const gone = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' };
    api.answers = [stream([added('a', '6'), { type: 'ERROR', object: gone }])];
    const events = store.watch('SandboxTemplate', { namespace: 'ns', resourceVersion: '5' });
    const iterator = events[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.deepEqual(first.value?.object.metadata, {
      name: 'a',
      namespace: 'ns',
      resourceVersion: '6',
    });
    await assertRejectsWith(iterator.next(), 'expired');
    assert.equal((await iterator.next()).done, true);
  });
});
