// Test support (not exported): a KubeStore per contract case on a shared API server, and on a
// whole cluster the namespaces its cases name.
import { type AnyResource, isPaddockError, type ResourceStore } from '@paddock/core';
import type { KubeTestServer, StoreUnderTest } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { paddockCrds } from '../crds/crds.ts';
import { installCrds } from '../crds/install.ts';
import { KubeStore } from './kube-store.ts';

/**
 * Installs Paddock's CRDs on `server` and makes a first write of each kind the contract uses:
 * the test server holds the first write after a CRD appears for about two seconds.
 */
export async function prepareServer(server: KubeTestServer): Promise<KubeClient> {
  const client = await KubeClient.fromKubeconfig(server.kubeconfig);
  await installCrds(client, paddockCrds());
  const store = new KubeStore(client);
  const warm = async (resource: AnyResource) => {
    try {
      await store.create(resource);
    } catch (error) {
      if (!isPaddockError(error, 'already_exists')) throw error;
    }
  };
  const apiVersion = 'paddock.dev/v1alpha1' as const;
  await Promise.all([
    warm({ apiVersion, kind: 'ClusterSandboxTemplate', metadata: { name: 'warm-up' }, spec: {} }),
    warm({
      apiVersion,
      kind: 'SandboxTemplate',
      metadata: { name: 'warm-up', namespace: 'default' },
      spec: {},
    }),
    warm({
      apiVersion,
      kind: 'Sandbox',
      metadata: { name: 'warm-up', namespace: 'default' },
      spec: { templateRef: { name: 'x' }, desiredState: 'Stopped' },
    }),
  ]);
  return client;
}

/**
 * A fresh store on `client` for one case. On a whole cluster (`full`) namespaces must exist: the
 * store then creates each namespace before the first create in it and deletes them on cleanup.
 */
export function storeUnderTest(
  client: KubeClient,
  full: boolean,
  compact?: () => Promise<void>,
): StoreUnderTest {
  const store = new KubeStore(client);
  const namespaces = new Set<string>();
  const subject: ResourceStore = full ? withNamespaces(store, client, namespaces) : store;
  return {
    store: subject,
    cleanup: async () => {
      await store.close();
      await Promise.all(
        [...namespaces].map((ns) =>
          client.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => {}),
        ),
      );
    },
    ...(compact === undefined ? {} : { compact }),
  };
}

function withNamespaces(store: KubeStore, client: KubeClient, made: Set<string>): ResourceStore {
  const ensure = async (namespace: string | undefined) => {
    if (namespace === undefined || made.has(namespace)) return;
    made.add(namespace);
    await client
      .request('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      })
      .catch((error) => {
        if (!isPaddockError(error, 'already_exists')) throw error;
      });
  };
  return {
    get: (kind, key) => store.get(kind, key),
    list: (kind, options) => store.list(kind, options),
    create: async (resource) => {
      await ensure(resource.metadata.namespace);
      return store.create(resource);
    },
    update: (resource) => store.update(resource),
    updateStatus: (resource) => store.updateStatus(resource),
    delete: (kind, key, options) => store.delete(kind, key, options),
    watch: (kind, options) => store.watch(kind, options),
    close: () => store.close(),
  };
}
