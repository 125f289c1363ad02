// The composite's router: which backend a path goes to, each with its own credentials, and the
// router's own token required. The API server behind it here is the scripted stand-in (which
// records what it receives); the server's tests run it in front of the real test API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../client/kube-client.ts';
import { json, type StandInApi, startStandInApi } from '../client/stand-in-api.ts';
import {
  type CompositeCluster,
  compositeBackendOf,
  startCompositeCluster,
} from './composite-cluster.ts';

describe('compositeBackendOf', () => {
  it('sends the core API and network policies to the pods, the rest to the API server', () => {
    const pods = [
      '/api',
      '/api/v1',
      '/api/v1/namespaces/a/pods/b/exec?command=sh',
      '/apis/networking.k8s.io/v1',
      '/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/b',
      '/apis/cilium.io/v2',
    ];
    const apiServer = [
      '/apis',
      '/apis/paddock.dev/v1alpha1/namespaces/a/sandboxes',
      '/apis/coordination.k8s.io/v1/namespaces/a/leases/l',
      '/apis/events.k8s.io/v1/events?watch=true',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      '/apis/networking.k8s.io.example/v1',
      '/version',
    ];
    assert.deepEqual(
      pods.map(compositeBackendOf),
      pods.map(() => 'pods'),
    );
    assert.deepEqual(
      apiServer.map(compositeBackendOf),
      apiServer.map(() => 'api-server'),
    );
  });
});

describe('startCompositeCluster', () => {
  let api: StandInApi;
  let composite: CompositeCluster;
  let client: KubeClient;

  before(async () => {
    api = await startStandInApi();
    composite = await startCompositeCluster(api.kubeconfig);
    client = await KubeClient.fromKubeconfig(composite.kubeconfig, { attempts: 1 });
  });
  after(async () => {
    client?.close();
    await composite?.close();
    await api?.close();
  });

  it('relays each request with its backend’s credentials', async () => {
    api.answers.push(json({ kind: 'SandboxList', items: [] }));
    const list = await client.request<{ kind: string }>(
      'GET',
      '/apis/paddock.dev/v1alpha1/namespaces/a/sandboxes',
    );
    assert.equal(list.kind, 'SandboxList');
    assert.deepEqual(api.seen, [
      'GET /apis/paddock.dev/v1alpha1/namespaces/a/sandboxes Bearer stand-in-token',
    ]);
    const core = await client.request<{ resources: Array<{ name: string }> }>('GET', '/api/v1');
    assert.ok(core.resources.some((r) => r.name === 'pods'));
    assert.equal(api.seen.length, 1, 'the core API went to the pods');
    assert.deepEqual(composite.routed, [
      'api-server GET /apis/paddock.dev/v1alpha1/namespaces/a/sandboxes',
      'pods GET /api/v1',
    ]);
  });

  it('refuses a request without the router’s token', async () => {
    const answer = await fetch(`${client.server}/api/v1`, {
      headers: { authorization: 'Bearer stand-in-token' },
    });
    assert.equal(answer.status, 401);
    await answer.body?.cancel();
  });
});
