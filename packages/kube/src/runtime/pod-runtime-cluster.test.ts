/**
 * The pod runtime's whole lifecycle on a real cluster (PADDOCK_TEST_KUBECONFIG; skipped
 * otherwise): provision → the pod Ready and every object present, owned by its Sandbox → stop
 * keeps the workspace claim → start makes the pod again → destroy leaves nothing; a warm-pool entry
 * Ready in its template's namespace → claimed by a Sandbox → destroyed. The cluster
 * needs a default StorageClass and a network plugin; the image (PADDOCK_TEST_SANDBOX_IMAGE,
 * default debian:bookworm-slim) must run `sleep infinity` as uid 1000 on a read-only root.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  API_VERSION,
  isPaddockError,
  type Sandbox,
  type SandboxRef,
  type SandboxTemplate,
} from '@paddock/core';
import {
  eventually,
  fullClusterSkipReason,
  type KubeTestServer,
  startKubeTestServer,
} from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { paddockCrds } from '../crds/crds.ts';
import { installCrds } from '../crds/install.ts';
import { KubeStore } from '../store/kube-store.ts';
import { INSTANCE_RESOURCES, resourcePath } from './api-paths.ts';
import { sandboxOwnerUid } from './instance-ref.ts';
import type { KubeItem } from './object-api.ts';
import { PodRuntime } from './pod-runtime.ts';

const IMAGE = process.env.PADDOCK_TEST_SANDBOX_IMAGE ?? 'debian:bookworm-slim';

describe('PodRuntime on a whole cluster', { skip: fullClusterSkipReason, timeout: 600_000 }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  let store: KubeStore;
  let runtime: PodRuntime;
  const namespace = `paddock-rt-${randomUUID().slice(0, 8)}`;

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCrds(client, paddockCrds());
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    });
    store = new KubeStore(client);
    runtime = new PodRuntime(client, { readyTimeoutMs: 300_000 });
  });

  after(async () => {
    await store?.close();
    await client?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {});
    client?.close();
    await server?.stop();
  });

  /** Every object of the instance, as `Kind/name`, with the uid of the Sandbox owning it. */
  async function objectsOf(
    name: string,
  ): Promise<Array<{ id: string; owner: string | undefined }>> {
    const found: Array<{ id: string; owner: string | undefined }> = [];
    for (const resource of INSTANCE_RESOURCES) {
      if (resource.apiVersion === 'cilium.io/v2') continue;
      const answer = await client.request<{ items?: KubeItem[] }>(
        'GET',
        resourcePath(resource, namespace),
        {
          query: { labelSelector: `paddock.dev/instance=${name}` },
        },
      );
      for (const item of answer.items ?? []) {
        found.push({ id: `${resource.kind}/${item.metadata?.name}`, owner: sandboxOwnerUid(item) });
      }
    }
    return found.sort((a, b) => a.id.localeCompare(b.id));
  }

  it('provisions, stops keeping the workspace, starts again and destroys everything', async () => {
    const sandbox = await store.create<Sandbox>({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'box', namespace },
      spec: { templateRef: { name: 'base' }, desiredState: 'Running' },
    });
    const ref: SandboxRef = { namespace, name: 'box', uid: sandbox.metadata.uid ?? '' };
    const spec = { image: IMAGE, ports: [{ name: 'web', port: 8080, protocol: 'http' as const }] };

    const provisioned = await runtime.provision({ ...ref, spec, env: { RUN_TOKEN: 't-1' } });
    assert.equal(provisioned.state, 'running', provisioned.message);
    assert.equal(provisioned.limits, 'kubernetes');
    assert.ok(provisioned.startedAt);
    const objects = await objectsOf('box');
    assert.deepEqual(
      objects.map((o) => o.id),
      [
        'ConfigMap/box-runtime',
        'NetworkPolicy/box',
        'PersistentVolumeClaim/box-workspace',
        'Pod/box',
        'Secret/box-env',
        'Service/box-web',
        'ServiceAccount/box',
      ],
    );
    for (const object of objects)
      assert.equal(object.owner, ref.uid, `${object.id} is owned by the Sandbox`);
    assert.equal(
      (await runtime.provision({ ...ref, spec })).state,
      'running',
      'provision is idempotent',
    );
    assert.deepEqual(
      await runtime.list().then((refs) => refs.filter((r) => r.namespace === namespace)),
      [ref],
    );
    await assert.rejects(runtime.provision({ ...ref, uid: 'another-uid', spec }), (error) =>
      isPaddockError(error, 'conflict'),
    );

    const stopped = await runtime.stop(ref);
    assert.equal(stopped.state, 'stopped');
    const afterStop = (await objectsOf('box')).map((o) => o.id);
    assert.ok(!afterStop.includes('Pod/box'), 'the pod is gone');
    assert.ok(afterStop.includes('PersistentVolumeClaim/box-workspace'), 'the workspace is kept');
    assert.equal(
      (await runtime.provision({ ...ref, spec })).state,
      'stopped',
      'provision leaves it stopped',
    );

    const started = await runtime.start(ref);
    assert.equal(started.state, 'running', started.message);
    assert.equal((await runtime.start(ref)).state, 'running', 'start is idempotent');

    await runtime.destroy(ref);
    assert.notEqual((await runtime.observe(ref)).state, 'running', 'no pod once destroy returns');
    await eventually(async () => (await objectsOf('box')).length === 0, {
      what: 'every object of the instance gone',
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    assert.deepEqual(await runtime.observe(ref), { state: 'absent' });
    await runtime.destroy(ref);
    await store.delete('Sandbox', { namespace, name: 'box' });
  });

  it("holds a warm-pool entry in its template's namespace, hands it to a Sandbox, destroys it", async () => {
    const template = await store.create<SandboxTemplate>({
      apiVersion: API_VERSION,
      kind: 'SandboxTemplate',
      metadata: { name: 'warm', namespace },
      spec: { image: IMAGE, warmPool: { size: 1 } },
    });
    const entry: SandboxRef = {
      namespace: 'paddock-warm',
      name: 'w-0a1b2c3d4e-5f6a7b8c',
      uid: randomUUID(),
    };
    const warmPool = {
      template: {
        kind: 'SandboxTemplate' as const,
        name: 'warm',
        namespace,
        uid: template.metadata.uid ?? '',
      },
    };
    const provisioned = await runtime.provision({ ...entry, spec: { image: IMAGE }, warmPool });
    assert.equal(provisioned.state, 'running', provisioned.message);
    const instance = `warm-warm-${entry.name}`;
    const pod = await client.request<KubeItem>(
      'GET',
      `/api/v1/namespaces/${namespace}/pods/${instance}`,
    );
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'SandboxTemplate');
    assert.equal(pod.metadata?.labels?.['paddock.dev/warm-pool'], 'warm');
    assert.ok((await runtime.list()).some((r) => r.name === entry.name && r.uid === entry.uid));

    const sandbox = await store.create<Sandbox>({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'claimer', namespace },
      spec: { templateRef: { name: 'warm' }, desiredState: 'Running' },
    });
    const claimant: SandboxRef = { namespace, name: 'claimer', uid: sandbox.metadata.uid ?? '' };
    const claimed = await runtime.claim(entry, claimant);
    assert.deepEqual(claimed, { namespace, name: instance, uid: claimant.uid });
    for (const object of await objectsOf(instance)) {
      assert.equal(object.owner, claimant.uid, `${object.id} is owned by the Sandbox`);
    }
    const after = await client.request<KubeItem>(
      'GET',
      `/api/v1/namespaces/${namespace}/pods/${instance}`,
    );
    assert.equal(
      after.metadata?.labels?.['paddock.dev/warm-pool'],
      undefined,
      'the warm label is gone',
    );
    assert.equal((await runtime.observe(claimed)).state, 'running');
    assert.ok((await runtime.list()).some((r) => r.name === instance && r.uid === claimant.uid));

    await runtime.destroy(claimed);
    await eventually(async () => (await objectsOf(instance)).length === 0, {
      what: 'every object of the claimed instance gone',
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await store.delete('Sandbox', { namespace, name: 'claimer' });
    await store.delete('SandboxTemplate', { namespace, name: 'warm' });
  });
});
