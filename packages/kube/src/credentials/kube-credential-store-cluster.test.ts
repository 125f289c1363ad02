/**
 * KubeCredentialStore on a real cluster (PADDOCK_TEST_KUBECONFIG; skipped otherwise: the test API
 * server of the development tree serves CRDs alone, no Secrets): the shared CredentialStore
 * contract in a fresh namespace, then a create in a namespace that does not exist.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  credentialInput,
  fullClusterSkipReason,
  type KubeTestServer,
  runCredentialStoreContract,
  startKubeTestServer,
} from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { KubeCredentialStore } from './kube-credential-store.ts';

describe('KubeCredentialStore on a whole cluster', {
  skip: fullClusterSkipReason ?? false,
  timeout: 300_000,
}, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  const namespace = `paddock-cred-${randomUUID().slice(0, 8)}`;

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    });
  });

  after(async () => {
    await client?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {});
    client?.close();
    await server?.stop();
  });

  runCredentialStoreContract('Kubernetes Secrets (a whole cluster)', async () => {
    const store = new KubeCredentialStore(client, { namespace });
    return {
      store,
      // One namespace for every case: each leaves it empty of credentials.
      cleanup: async () => {
        for (const credential of await store.list()) {
          await store.delete(credential.namespace, credential.name);
        }
        await store.close();
      },
    };
  });

  it('refuses a create in a namespace the cluster does not have', async () => {
    const store = new KubeCredentialStore(client, { namespace: `${namespace}-missing` });
    assert.deepEqual(await store.list(), []);
    await assertRejectsWith(
      store.put(credentialInput('k'), new TextEncoder().encode('v')),
      ErrorCode.RuntimeUnavailable,
    );
  });
});
