// The contract again, with the API server's watch cache off (lists and watches straight from
// etcd) and etcd compacted every second: the case of an expired watch runs here.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPaddockError } from '@paddock/core';
import {
  type KubeTestServer,
  kubeSkipReason,
  runStoreContract,
  startKubeTestServer,
} from '@paddock/testkit';
import type { KubeClient } from '../client/kube-client.ts';
import { prepareServer, storeUnderTest } from './test-stores.ts';

const skip = kubeSkipReason ?? false;
const isWholeCluster = process.env.PADDOCK_TEST_KUBECONFIG !== undefined;
let server: KubeTestServer | undefined;
let client: KubeClient | undefined;

before(async () => {
  if (skip !== false) return;
  server = await startKubeTestServer({ args: ['--watch-cache=false', '--compaction-interval=1s'] });
  client = await prepareServer(server);
});
after(async () => {
  client?.close();
  await server?.stop();
});

function theClient(): KubeClient {
  assert.ok(client !== undefined, 'the API server is up');
  return client;
}

const COLLECTION = '/apis/paddock.dev/v1alpha1/sandboxtemplates';

/**
 * Waits until etcd has been compacted past the current version: a list at exactly that version
 * is then 410 Gone (`expired`), and so is a watch from any earlier one. The server compacts every
 * second to the version it saw a second before (its own bookkeeping moves the version on).
 */
async function compact(): Promise<void> {
  const kube = theClient();
  const list = await kube.request<{ metadata: { resourceVersion: string } }>('GET', COLLECTION, {
    query: { limit: 1 },
  });
  const now = list.metadata.resourceVersion;
  for (let waited = 0; waited < 20_000; waited += 100) {
    try {
      await kube.request('GET', COLLECTION, {
        query: { limit: 1, resourceVersion: now, resourceVersionMatch: 'Exact' },
      });
    } catch (error) {
      if (isPaddockError(error, 'expired')) return;
      throw error;
    }
    await sleep(100);
  }
  throw new Error(`etcd was not compacted past ${now} within 20 s`);
}

if (skip === false) {
  runStoreContract(
    'kubernetes (watch cache off, compacted every second)',
    async () => storeUnderTest(theClient(), server?.full ?? false, compact),
    {
      skip: {
        'a DELETED event carries the last state of the object':
          "the API answers a delete with a bare Status, so the store returns the object as last read (its last write's resourceVersion); the DELETED event carries the deletion's own version (see kube-store.test.ts)",
        ...(isWholeCluster
          ? {
              'watch from a compacted resourceVersion is expired':
                'a whole cluster compacts on its own schedule (kube-apiserver --etcd-compaction-interval, 5 min by default), not on demand',
            }
          : {}),
      },
    },
  );
}
