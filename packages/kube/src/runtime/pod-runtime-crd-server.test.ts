/**
 * The pod runtime on the test API server, which serves CRDs alone (no core/v1): what a user of
 * such a server sees is a clear `runtime_unavailable` naming what is missing, before anything
 * is written; destroy stays a no-op. The parts not built yet say so, whatever the server, and so
 * does a warm-pool entry of a cluster template, which has no namespace to wait in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { PodRuntime } from './pod-runtime.ts';

const ref = { namespace: 'team-a', name: 'box', uid: 'uid-box-1' };

function unavailable(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(isPaddockError(error, 'runtime_unavailable'), String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

describe('PodRuntime on a server of CRDs alone', { skip: kubeSkipReason }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  let runtime: PodRuntime;

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    runtime = new PodRuntime(client, { readyTimeoutMs: 1000, goneTimeoutMs: 1000 });
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('refuses provision with runtime_unavailable naming core/v1, having written nothing', async (t) => {
    if (server.full) return t.skip('a whole cluster serves core/v1');
    const before = client.stats.byVerb.PATCH ?? 0;
    await assert.rejects(
      runtime.provision({ ...ref, spec: { image: 'registry.example/agent:1' } }),
      unavailable(
        /does not serve pods \(v1\), configmaps \(v1\), persistentvolumeclaims \(v1\).*whole cluster/,
      ),
    );
    assert.equal(client.stats.byVerb.PATCH ?? 0, before, 'no apply was sent');
  });

  it('refuses observe, stop, start and list alike; destroy is a no-op', async (t) => {
    if (server.full) return t.skip('a whole cluster serves core/v1');
    const missing = /does not serve pods \(v1\)/;
    await assert.rejects(runtime.observe(ref), unavailable(missing));
    await assert.rejects(runtime.stop(ref), unavailable(missing));
    await assert.rejects(runtime.start(ref), unavailable(missing));
    await assert.rejects(runtime.list(), unavailable(missing));
    await runtime.destroy(ref);
  });

  it('answers exec, processes, ports and files with what the server is missing', async (t) => {
    if (server.full) return t.skip('a whole cluster serves core/v1');
    const missing = /does not serve pods \(v1\)/;
    await assert.rejects(runtime.exec(ref, { command: ['true'] }), unavailable(missing));
    await assert.rejects(runtime.listProcesses(ref), unavailable(missing));
    await assert.rejects(runtime.attach(ref, 'main'), unavailable(missing));
    await assert.rejects(runtime.connectPort(ref, 8080), unavailable(missing));
    await assert.rejects(runtime.files.read(ref, '/workspace/x'), unavailable(missing));
    await assert.rejects(
      runtime.files.upload(ref, '/workspace', new ReadableStream()),
      unavailable(missing),
    );
  });

  it("refuses the generic warm pool's entries where it cannot hold them", async (t) => {
    const warm = { namespace: 'paddock-warm', name: 'w-abc-1234', uid: 'made-up' };
    const clusterTemplate = { kind: 'ClusterSandboxTemplate' as const, name: 'shell', uid: 'c' };
    await assert.rejects(
      runtime.provision({ ...warm, spec: {}, warmPool: { template: clusterTemplate } }),
      unavailable(/cluster-scoped template has none/),
    );
    await assert.rejects(runtime.start(warm), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    if (server.full) return t.skip('a whole cluster serves core/v1');
    const template = {
      kind: 'SandboxTemplate' as const,
      name: 'shell',
      namespace: 'team-a',
      uid: 't',
    };
    await assert.rejects(
      runtime.provision({ ...warm, spec: {}, warmPool: { template } }),
      unavailable(/does not serve pods \(v1\)/),
    );
    await assert.rejects(runtime.observe(warm), unavailable(/does not serve pods \(v1\)/));
    await runtime.destroy(warm);
  });
});
