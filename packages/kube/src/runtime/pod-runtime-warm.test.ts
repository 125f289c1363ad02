/**
 * The pod runtime's warm-pool paths against a stand-in API server that keeps objects: provision of
 * an entry in its template's namespace, owned by the template; list naming it as the pool does;
 * claim re-owning every object (the pod by compare-and-swap) and the ref every call uses after;
 * destroy by the entry's labels; a Run's Sandbox claiming one gets its run label and the gateway;
 * and the refusals (cluster templates, another namespace, a lost race, a Sandbox that is gone).
 * The stand-in makes every pod Ready at once and has no garbage collector.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { API_VERSION, type SandboxRef } from '@paddock/core';
import { assertRejectsWith } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { type StandInApi, startStandInApi } from '../client/stand-in-api.ts';
import { RUN_LABEL } from '../objects/labels.ts';
import { DEFAULT_OBJECT_OPTIONS } from '../objects/options.ts';
import { PodRuntime } from './pod-runtime.ts';
import { StandInStore } from './stand-in-store.ts';

/** The store's pods are Running and Ready at once. */
const newCluster = () =>
  new StandInStore({
    withStatus: (object) =>
      object.kind === 'Pod'
        ? {
            ...object,
            status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
          }
        : object,
  });

const TEMPLATE_PATH = '/apis/paddock.dev/v1alpha1/namespaces/team/sandboxtemplates/shell';
const SANDBOX_PATH = '/apis/paddock.dev/v1alpha1/namespaces/team/sandboxes/box';
const template = { kind: 'SandboxTemplate' as const, name: 'shell', namespace: 'team', uid: 't-1' };
const GATEWAY_PORT = DEFAULT_OBJECT_OPTIONS.gateway?.ports[0]?.port;
const spec = { image: 'registry.example/agent:1', ports: [{ name: 'web', port: 8080 }] };

describe('PodRuntime warm-pool entries (stand-in server)', () => {
  let api: StandInApi;
  let client: KubeClient;
  let cluster: StandInStore;
  let runtime: PodRuntime;
  const entry: SandboxRef = { namespace: 'paddock-warm', name: 'w-0a1b2c3d4e-5f6a7b8c', uid: '' };
  const claimant: SandboxRef = { namespace: 'team', name: 'box', uid: 'sandbox-uid-1' };

  before(async () => {
    api = await startStandInApi();
    client = await KubeClient.fromKubeconfig(api.kubeconfig);
  });
  beforeEach(() => {
    cluster = newCluster();
    cluster.objects.set(TEMPLATE_PATH, {
      apiVersion: API_VERSION,
      kind: 'SandboxTemplate',
      metadata: { name: 'shell', namespace: 'team', uid: 't-1' },
    });
    cluster.objects.set(SANDBOX_PATH, claimantSandbox({}));
    api.answers = Array.from({ length: 10_000 }, () => cluster.answer);
    entry.uid = randomUUID();
    runtime = new PodRuntime(client, { readyTimeoutMs: 2000, goneTimeoutMs: 2000 });
  });
  after(async () => {
    client.close();
    await api.close();
  });

  /** The claimant's Sandbox in the API, with `labels` (a Run's: `paddock.dev/run`). */
  const claimantSandbox = (labels: Record<string, string>) => ({
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name: 'box', namespace: 'team', uid: claimant.uid, labels },
    spec: { templateRef: { kind: 'SandboxTemplate', name: 'shell' } },
  });
  const objectsIn = (namespace: string) =>
    [...cluster.objects.values()].filter(
      (o) =>
        o.metadata.namespace === namespace && o.kind !== 'SandboxTemplate' && o.kind !== 'Sandbox',
    );
  const provisionEntry = () => runtime.provision({ ...entry, spec, warmPool: { template } });

  it("provisions an entry in its template's namespace, owned by the template, listed as the pool's", async () => {
    const observed = await provisionEntry();
    assert.equal(observed.state, 'running');
    const objects = objectsIn('team');
    assert.ok(objects.length >= 5, 'the instance and its state');
    for (const object of objects) {
      assert.deepEqual(
        object.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}/${o.uid}`),
        ['SandboxTemplate/shell/t-1'],
        `${object.kind} ${object.metadata.name} is owned by the template`,
      );
      assert.equal(object.metadata.labels?.['paddock.dev/warm-pool'], 'shell');
      assert.equal(object.metadata.labels?.['paddock.dev/warm-entry'], entry.name);
    }
    const pod = objects.find((o) => o.kind === 'Pod');
    assert.equal(pod?.metadata.name, `shell-warm-${entry.name}`);
    assert.ok(
      !objects.some((o) => o.kind === 'Service'),
      'no port Service before a Sandbox claims it',
    );
    assert.deepEqual(await runtime.list(), [entry]);
    assert.equal((await runtime.observe(entry)).state, 'running');
    const writes = api.seen.filter((line) => line.startsWith('PATCH')).length;
    assert.equal((await provisionEntry()).state, 'running', 'provision is idempotent');
    assert.equal(api.seen.filter((line) => line.startsWith('PATCH')).length, writes);
  });

  it('claims an entry for a Sandbox: every object re-owned, the pool labels gone, known by the new ref', async () => {
    await provisionEntry();
    const claimed = await runtime.claim(entry, claimant);
    const instance = `shell-warm-${entry.name}`;
    assert.deepEqual(claimed, { namespace: 'team', name: instance, uid: claimant.uid });
    for (const object of objectsIn('team')) {
      const what = `${object.kind} ${object.metadata.name}`;
      assert.deepEqual(
        object.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}/${o.uid}`),
        [`Sandbox/box/${claimant.uid}`],
        `${what} is owned by the Sandbox`,
      );
      assert.equal(object.metadata.labels?.['paddock.dev/warm-pool'], undefined, what);
      assert.equal(object.metadata.labels?.['paddock.dev/warm-entry'], undefined, what);
      assert.equal(object.metadata.labels?.['paddock.dev/sandbox'], 'box', what);
    }
    const service = objectsIn('team').find((o) => o.kind === 'Service');
    assert.equal(service?.metadata.name, 'box-web', "the Sandbox's port Service");
    assert.deepEqual(await runtime.list(), [claimed], 'listed by the claimed ref, not the entry');
    assert.equal((await runtime.observe(claimed)).state, 'running');
    assert.deepEqual(await runtime.observe(entry), { state: 'absent' });
    await assertRejectsWith(runtime.claim(entry, claimant), 'sandbox_not_found');

    assert.equal((await runtime.stop(claimed)).state, 'stopped');
    assert.equal((await runtime.start(claimed)).state, 'running');
    const pod = cluster.objects.get(`/api/v1/namespaces/team/pods/${instance}`);
    assert.equal(pod?.metadata.labels?.['paddock.dev/sandbox'], 'box', 'started as the claimant');
    assert.equal(pod?.metadata.ownerReferences?.[0]?.name, 'box');

    await runtime.destroy(claimed);
    assert.deepEqual(objectsIn('team'), [], 'nothing of the sandbox is left');
  });

  it("gives a Run's Sandbox its run label and the gateway, kept across stop and start", async () => {
    cluster.objects.set(SANDBOX_PATH, claimantSandbox({ [RUN_LABEL]: 'fix-bug' }));
    await provisionEntry();
    const instance = `shell-warm-${entry.name}`;
    const podPath = `/api/v1/namespaces/team/pods/${instance}`;
    const policyPath = `/apis/networking.k8s.io/v1/namespaces/team/networkpolicies/${instance}`;
    const reachesGateway = () =>
      JSON.stringify(cluster.objects.get(policyPath)?.spec).includes(`"port":${GATEWAY_PORT}`);
    assert.equal(reachesGateway(), false, 'a warm pod reaches no gateway');

    const claimed = await runtime.claim(entry, claimant);
    assert.equal(cluster.objects.get(podPath)?.metadata.labels?.[RUN_LABEL], 'fix-bug');
    assert.equal(reachesGateway(), true, "the claimed pod's policy lets it reach the gateway");
    for (const object of objectsIn('team').filter((o) => o.kind !== 'Pod')) {
      const what = `${object.kind} ${object.metadata.name}`;
      assert.equal(object.metadata.labels?.[RUN_LABEL], undefined, `${what}: the pod alone`);
    }

    await runtime.stop(claimed);
    await runtime.start(claimed);
    assert.equal(cluster.objects.get(podPath)?.metadata.labels?.[RUN_LABEL], 'fix-bug');
    assert.equal(reachesGateway(), true);
    await runtime.destroy(claimed);
  });

  it('claims for a Sandbox of no run without the label, and for none that is gone', async () => {
    await provisionEntry();
    await assertRejectsWith(
      runtime.claim(entry, { ...claimant, uid: 'another-uid' }),
      'sandbox_not_found',
    );
    const claimed = await runtime.claim(entry, claimant);
    const pod = cluster.objects.get(`/api/v1/namespaces/team/pods/${claimed.name}`);
    assert.equal(pod?.metadata.labels?.[RUN_LABEL], undefined);
    await runtime.destroy(claimed);
  });

  it('lets one claim win: the pod is swapped on its resourceVersion', async () => {
    await provisionEntry();
    const path = `/api/v1/namespaces/team/pods/shell-warm-${entry.name}`;
    const pod = cluster.objects.get(path);
    assert.ok(pod !== undefined);
    // Another writer changes the pod between the claim's read and its patch.
    const answers = api.answers;
    let reads = 0;
    api.answers = Array.from({ length: 100 }, () => (request, response) => {
      if (request.method === 'GET' && (request.url ?? '').includes('pods?') && ++reads === 1) {
        response.on('finish', () => {
          pod.metadata.resourceVersion = 'changed';
        });
      }
      cluster.answer(request, response);
    });
    await assertRejectsWith(runtime.claim(entry, claimant), 'conflict');
    api.answers = answers;
    assert.equal(pod.metadata.labels?.['paddock.dev/warm-entry'], entry.name, 'still unclaimed');
  });

  it('destroys an unclaimed entry by its labels', async () => {
    await provisionEntry();
    await runtime.destroy(entry);
    assert.deepEqual(objectsIn('team'), [], 'nothing of the entry is left');
    assert.deepEqual(await runtime.list(), []);
    await runtime.destroy(entry);
  });

  it('refuses entries of a cluster template, of a template that is gone, and claims across namespaces', async () => {
    const cluster = { kind: 'ClusterSandboxTemplate' as const, name: 'shell', uid: 'c-1' };
    await assertRejectsWith(
      runtime.provision({ ...entry, spec, warmPool: { template: cluster } }),
      'runtime_unavailable',
      (error) => assert.match(error.message, /cluster-scoped template has none/),
    );
    await assertRejectsWith(
      runtime.provision({ ...entry, spec, warmPool: { template: { ...template, uid: 'old' } } }),
      'template_not_found',
    );
    await provisionEntry();
    await assertRejectsWith(
      runtime.claim(entry, { ...claimant, namespace: 'elsewhere' }),
      'validation_failed',
    );
    await assertRejectsWith(runtime.stop(entry), 'validation_failed');
  });
});
