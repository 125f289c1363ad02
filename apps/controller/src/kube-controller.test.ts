import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SANDBOX_FINALIZER } from '@paddock/control';
import { type AnyResource, isPaddockError, type Sandbox } from '@paddock/core';
import { CONTROLLER_LEASE, KubeClient, type KubeEvent, type KubeStore } from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  MemoryRuntime,
  uniqueName,
} from '@paddock/testkit';
import { type KubeController, startKubeController } from './kube-controller.ts';
import { isSandboxGone, startTestCluster, type TestCluster } from './test-cluster.ts';

const apiVersion = 'paddock.dev/v1alpha1' as const;
const quiet = () => {};

describe('the Kubernetes controller on a real API server', {
  skip: kubeSkipReason ?? false,
}, () => {
  let cluster: TestCluster;
  let server: KubeTestServer;
  let client: KubeClient;
  let store: KubeStore;
  const controllers: KubeController[] = [];
  const clients: KubeClient[] = [];

  before(async () => {
    cluster = await startTestCluster();
    ({ server, client, store } = cluster);
  });
  // Controllers reconcile every namespace: each case's must be gone before the next starts.
  afterEach(async () => {
    for (const controller of controllers.splice(0)) await controller.stop();
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  /** A candidate with its own client, as another process would have, and short lease times. */
  async function candidate(
    identity: string,
    namespace: string,
    runtime: MemoryRuntime,
    releaseOnStop = true,
  ): Promise<KubeController> {
    const own = await KubeClient.fromKubeconfig(server.kubeconfig);
    clients.push(own);
    const controller = await startKubeController({
      client: own,
      runtime,
      identity,
      namespace,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 250,
      metricsAddr: { host: '127.0.0.1', port: 0 },
      releaseOnStop,
      log: quiet,
    });
    controllers.push(controller);
    return controller;
  }

  const metricsOf = async (controller: KubeController) =>
    (await fetch(`${controller.metricsUrl}/metrics`)).text();

  async function holderOf(namespace: string): Promise<string | undefined> {
    try {
      const lease = await client.request<{ spec?: { holderIdentity?: string } }>(
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${CONTROLLER_LEASE}`,
      );
      return lease.spec?.holderIdentity;
    } catch (error) {
      if (isPaddockError(error, 'not_found')) return undefined;
      throw error;
    }
  }

  async function createSandbox(namespace: string, name: string): Promise<Sandbox> {
    await store
      .create({
        apiVersion,
        kind: 'SandboxTemplate',
        metadata: { name: 'shell', namespace },
        spec: {},
      } as AnyResource)
      .catch((error) => {
        if (!isPaddockError(error, 'already_exists')) throw error;
      });
    return store.create({
      apiVersion,
      kind: 'Sandbox',
      metadata: { name, namespace },
      spec: { templateRef: { name: 'shell' }, desiredState: 'Running' },
    });
  }

  it('one candidate leads and reconciles a Sandbox to Running, with its finalizer, conditions and an Event per transition', async () => {
    const namespace = uniqueName('ctl');
    const runtime = new MemoryRuntime();
    const a = await candidate('ctl-a', namespace, runtime);
    await eventually(() => a.isLeader(), { what: 'a leads' });
    const b = await candidate('ctl-b', namespace, runtime.restarted());
    assert.equal(await holderOf(namespace), 'ctl-a');
    assert.equal(b.isLeader(), false, 'the second candidate waits');
    assert.equal((await fetch(`${b.metricsUrl}/readyz`)).status, 200, 'a standby is ready');

    const created = await createSandbox(namespace, 'box');
    await store.create({
      apiVersion,
      kind: 'SandboxTemplate',
      metadata: { name: 'pooled', namespace },
      spec: { warmPool: { size: 1 } },
    } as AnyResource);
    const running = await eventually(
      async () => {
        const s = await store.get('Sandbox', { namespace, name: 'box' });
        return s.status?.phase === 'Running' ? s : undefined;
      },
      { what: 'the Sandbox Running', timeoutMs: 20_000 },
    );
    assert.deepEqual(running.metadata.finalizers, [SANDBOX_FINALIZER]);
    assert.equal(running.status?.observedGeneration, running.metadata.generation);
    const ready = running.status?.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(running.status?.runtime?.name, 'memory');

    // The reconcilers' events are Kubernetes Events about the Sandbox, written by the leader.
    const events = await eventually(
      async () => {
        const list = await client.request<{ items: KubeEvent[] }>(
          'GET',
          `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
        );
        const reasons = list.items.map((e) => e.reason as string);
        return reasons.includes('Admitted') && reasons.includes('Provisioned')
          ? list.items
          : undefined;
      },
      { what: 'the Admitted and Provisioned Events', timeoutMs: 20_000 },
    );
    for (const event of events) {
      assert.equal(event.regarding?.kind, 'Sandbox');
      assert.equal(event.regarding?.name, 'box');
      assert.equal(event.regarding?.uid, created.metadata.uid);
      assert.equal(event.reportingController, 'paddock.dev/controller');
      assert.equal(event.reportingInstance, 'ctl-a');
    }

    const metrics = await metricsOf(a);
    assert.match(metrics, /^paddock_controller_leader 1$/m);
    assert.match(
      metrics,
      /^paddock_controller_reconciles_total\{controller="sandbox",result="success"\} [1-9]/m,
    );
    assert.match(metrics, /^paddock_kube_api_requests_total\{verb="watch",code="200"\} [1-9]/m);
    assert.match(metrics, /^paddock_controller_events_total\{outcome="created"\} [1-9]/m);
    await eventually(
      async () =>
        /^paddock_warm_pool_ready\{template="SandboxTemplate\/[^"]+\/pooled"\} 1$/m.test(
          await metricsOf(a),
        ),
      { what: 'the warm pool of the leader ready, in its metrics' },
    );
    // The pool's template goes, so that the next case's controllers keep no pool of it.
    await store.delete('SandboxTemplate', { namespace, name: 'pooled' });
    assert.match(await metricsOf(b), /^paddock_controller_leader 0$/m);
    assert.doesNotMatch(await metricsOf(b), /paddock_controller_reconciles_total\{/);
  });

  it('when the leader dies, the standby takes over and finishes what is asked of it', async () => {
    const namespace = uniqueName('ctl');
    const runtime = new MemoryRuntime();
    const a = await candidate('die-a', namespace, runtime, false);
    await eventually(() => a.isLeader(), { what: 'a leads' });
    const b = await candidate('die-b', namespace, runtime.restarted());
    await createSandbox(namespace, 'kept');
    await eventually(
      async () =>
        (await store.get('Sandbox', { namespace, name: 'kept' })).status?.phase === 'Running',
      { what: 'Running under a', timeoutMs: 20_000 },
    );

    // a stops renewing without handing the Lease back, as a killed process would.
    const died = Date.now();
    await a.stop();
    await eventually(() => b.isLeader(), { what: 'b leads', timeoutMs: 20_000 });
    const takeoverMs = Date.now() - died;
    assert.equal(await holderOf(namespace), 'die-b');
    process.stdout.write(`# takeover after the leader died: ${takeoverMs} ms (lease 2 s)\n`);

    // The new leader deletes through the finalizer: the runtime's sandbox, then the object.
    await store.delete('Sandbox', { namespace, name: 'kept' });
    await eventually(() => isSandboxGone(store, { namespace, name: 'kept' }), {
      what: 'the Sandbox gone',
      timeoutMs: 20_000,
    });
    assert.deepEqual(
      (await runtime.list()).map((ref) => `${ref.namespace}/${ref.name}`),
      [],
      'its runtime sandbox is destroyed',
    );
  });

  it('hands the Lease back on a clean stop, so a standby leads at once', async () => {
    const namespace = uniqueName('ctl');
    const runtime = new MemoryRuntime();
    const a = await candidate('clean-a', namespace, runtime);
    await eventually(() => a.isLeader(), { what: 'a leads' });
    const b = await candidate('clean-b', namespace, runtime.restarted());
    await a.stop();
    assert.notEqual(await holderOf(namespace), 'clean-a', 'a released the Lease');
    await eventually(() => b.isLeader(), { what: 'b leads' });
  });
});
