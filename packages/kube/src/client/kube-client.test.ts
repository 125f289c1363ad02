import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { KubeClient } from './kube-client.ts';

describe('KubeClient against a real API server', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('reads the server version with the kubeconfig credentials', async () => {
    const version = await client.request<{ major: string; gitVersion: string }>('GET', '/version');
    assert.match(version.gitVersion, /^v1\.\d+/);
  });

  it('translates a 404 into not_found naming the request', async () => {
    await assert.rejects(
      client.request('GET', '/apis/paddock.dev/v1alpha1/namespaces/x/sandboxes/none'),
      (error) =>
        isPaddockError(error, 'not_found') && error.message.includes('GET /apis/paddock.dev'),
    );
  });
});
