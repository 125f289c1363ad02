// paddock server and paddock controller on a Kubernetes API server, as in a cluster: the REST
// API keeps its resources in the cluster (CRDs), the controller reconciles them, and the
// sandbox's timeline comes from Kubernetes Events. The test API server runs no pods, so the
// sandbox stays Creating with a Warning saying so; a whole cluster (PADDOCK_TEST_KUBECONFIG)
// would run it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import {
  installCoreApiTestCrds,
  installCrds,
  KubeClient,
  KubeStore,
  paddockCrds,
} from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  type PaddockProcess,
  startKubeTestServer,
  startPaddockProcess,
} from '@paddock/testkit';

const v = 'paddock.dev/v1alpha1' as const;
const cli = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));

describe('paddock server and controller on a Kubernetes API server', {
  skip: kubeSkipReason ?? false,
}, () => {
  let kube: KubeTestServer;
  let client: KubeClient;
  let store: KubeStore;
  let server: PaddockProcess;
  let controller: PaddockProcess;
  let paddock: PaddockClient;
  const home = mkdtempSync(join(tmpdir(), 'paddock-cluster-'));

  before(async () => {
    kube = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(kube.kubeconfig);
    await installCrds(client, paddockCrds());
    await installCoreApiTestCrds(client, kube);
    store = new KubeStore(client);
    server = await startPaddockProcess([
      cli,
      'server',
      '--kubeconfig',
      kube.kubeconfig,
      '--addr',
      '127.0.0.1:0',
      '--gateway-addr',
      '127.0.0.1:0',
      '--home',
      home,
    ]);
    controller = await startPaddockProcess([
      cli,
      'controller',
      '--kubeconfig',
      kube.kubeconfig,
      '--namespace',
      'paddock-system',
      '--metrics-addr',
      '127.0.0.1:0',
    ]);
    paddock = createClient({ baseUrl: server.url });
  });

  after(async () => {
    await server?.stop();
    await controller?.stop();
    await store?.close();
    client?.close();
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps what the API is given in the cluster and shows the controller’s events', async () => {
    // The built-in templates are ClusterSandboxTemplates of the cluster now.
    const python = await store.get('ClusterSandboxTemplate', { name: 'python' });
    assert.equal(python.metadata.name, 'python');

    await paddock.sandboxes.create({
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'box' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'python' } },
    });
    const stored = await store.get('Sandbox', { namespace: 'default', name: 'box' });
    assert.equal(stored.spec.templateRef.name, 'python');
    assert.deepEqual(
      (await paddock.sandboxes.list()).items.map((s) => s.metadata.name),
      ['box'],
    );

    // The controller admits it and tries to start it; the API shows its timeline.
    const events = await eventually(
      async () => {
        const list = await paddock.sandboxes.events('box');
        const reasons = list.items.map((e) => e.reason);
        return reasons.includes('Admitted') && reasons.includes('RuntimeUnavailable')
          ? list.items
          : undefined;
      },
      { what: 'Admitted and RuntimeUnavailable on the sandbox’s timeline', timeoutMs: 30_000 },
    );
    const warning = events.find((e) => e.reason === 'RuntimeUnavailable');
    assert.equal(warning?.type, 'Warning');
    assert.match(warning?.message ?? '', /does not serve pods \(v1\)/);
    assert.equal((await paddock.sandboxes.get('box')).status?.phase, 'Creating');

    // A delete goes through the controller's finalizer.
    await paddock.sandboxes.delete('box');
    await eventually(
      async () => {
        try {
          await store.get('Sandbox', { namespace: 'default', name: 'box' });
          return false;
        } catch (error) {
          return isPaddockError(error, 'not_found');
        }
      },
      { what: 'the Sandbox gone from the cluster', timeoutMs: 30_000 },
    );
  });
});
