// The controller's RBAC (paddock install's ClusterRole and Role, compiled from
// CONTROLLER_PERMISSIONS) against the requests the controller really makes: every request of two
// candidates is recorded (KubeClient.onRequest) while they elect a leader, reconcile a Sandbox to
// Running with its Events, stop and start it twice (repeats: an Event series), delete it through
// the finalizer, hand the Lease over, and have a write of each kind refused as a conflict; each is
// mapped to (verb, group, resource) and the set must equal the table's `controller` rows. The
// pod runtime's rows come from its own tables (INSTANCE_RESOURCES, OWNER_KINDS): the test server
// serves no pods, so it never gets as far as reading a Sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AnyResource, isPaddockError, type SnapshotStorage } from '@paddock/core';
import {
  type ApiRequest,
  accessOf,
  CONTROLLER_LEASE,
  CONTROLLER_PERMISSIONS,
  INSTANCE_RESOURCES,
  INSTANCE_SUBRESOURCES,
  KubeClient,
  KubeStore,
  OWNER_KINDS,
  PermissionSource,
} from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  MemoryRuntime,
  uniqueName,
} from '@paddock/testkit';
import { startKubeController } from './kube-controller.ts';
import { isSandboxGone, startTestCluster, type TestCluster } from './test-cluster.ts';

/** Whether the object is gone from the store. */
async function isGone(
  store: KubeStore,
  kind: 'SandboxSnapshot' | 'Volume',
  key: { namespace: string; name: string },
): Promise<boolean> {
  try {
    await store.get(kind, key);
    return false;
  } catch (error) {
    return isPaddockError(error, 'not_found');
  }
}

describe("the controller's RBAC is exactly what it uses", { skip: kubeSkipReason ?? false }, () => {
  let cluster: TestCluster;
  let server: KubeTestServer;
  let store: KubeStore;
  const recorded: ApiRequest[] = [];
  const clients: KubeClient[] = [];

  before(async () => {
    cluster = await startTestCluster();
    ({ server, store } = cluster);
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  /** A client whose every request is recorded, whoever else listens (the metrics). */
  async function recordingClient(): Promise<KubeClient> {
    const client = await KubeClient.fromKubeconfig(server.kubeconfig);
    clients.push(client);
    let listener: KubeClient['onRequest'];
    Object.defineProperty(client, 'onRequest', {
      get: () => (request: ApiRequest) => {
        recorded.push(request);
        listener?.(request);
      },
      set: (next: KubeClient['onRequest']) => {
        listener = next;
      },
    });
    return client;
  }

  it('records the scenarios and compares them with the table', async () => {
    const namespace = uniqueName('rbac');
    // The memory runtime with snapshots (a fake of the real interface): captures succeed at once.
    const snapshots: SnapshotStorage = {
      capture: async () => ({
        sizeBytes: 0,
        contents: ['workspace'],
        consistency: 'stopped',
        capturedAt: new Date().toISOString(),
      }),
      remove: async () => {},
      list: async () => [],
    };
    const runtime = Object.assign(new MemoryRuntime(), { snapshots });
    const start = async (identity: string, own: MemoryRuntime) =>
      startKubeController({
        client: await recordingClient(),
        runtime: own,
        identity,
        namespace,
        leaseDurationMs: 2_000,
        renewDeadlineMs: 1_500,
        retryPeriodMs: 250,
        metricsAddr: { host: '127.0.0.1', port: 0 },
        log: () => {},
      });
    const a = await start('rbac-a', runtime);
    await eventually(() => a.isLeader(), { what: 'a leads' });
    const b = await start('rbac-b', runtime.restarted());
    try {
      await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxTemplate',
        metadata: { name: 'shell', namespace },
        spec: {},
      } as never);
      await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { name: 'box', namespace },
        spec: { templateRef: { name: 'shell' }, desiredState: 'Running' },
      } as never);
      await eventually(
        async () =>
          (await store.get('Sandbox', { namespace, name: 'box' })).status?.phase === 'Running',
        { what: 'Running', timeoutMs: 20_000 },
      );
      // A volume (the memory runtime has none: Failed) and two snapshots of the box, the second
      // keeping only itself (retention deletes the first), then both deleted: finalizers, status.
      await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Volume',
        metadata: { name: 'vol', namespace },
        spec: {},
      } as never);
      await eventually(
        async () =>
          (await store.get('Volume', { namespace, name: 'vol' })).status?.phase === 'Failed',
        { what: 'the volume Failed', timeoutMs: 20_000 },
      );
      for (const name of ['snap-1', 'snap-2']) {
        await store.create({
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'SandboxSnapshot',
          metadata: { name, namespace },
          spec: { sandboxRef: { name: 'box' }, retention: { keepLast: 1 } },
        } as never);
        await eventually(
          async () =>
            (await store.get('SandboxSnapshot', { namespace, name })).status?.phase === 'Ready',
          { what: `${name} Ready`, timeoutMs: 20_000 },
        );
      }
      await eventually(() => isGone(store, 'SandboxSnapshot', { namespace, name: 'snap-1' }), {
        what: 'snap-1 deleted by retention',
        timeoutMs: 20_000,
      });
      await store.delete('SandboxSnapshot', { namespace, name: 'snap-2' });
      await store.delete('Volume', { namespace, name: 'vol' });
      for (const [kind, name] of [
        ['SandboxSnapshot', 'snap-2'],
        ['Volume', 'vol'],
      ] as const) {
        await eventually(() => isGone(store, kind, { namespace, name }), {
          what: `${kind} ${name} gone`,
          timeoutMs: 20_000,
        });
      }
      // Stopped and started twice: the second round's Events repeat the first's (a series).
      for (const desiredState of ['Stopped', 'Running', 'Stopped', 'Running'] as const) {
        const current = await store.get('Sandbox', { namespace, name: 'box' });
        await store.update({ ...current, spec: { ...current.spec, desiredState } });
        await eventually(
          async () =>
            (await store.get('Sandbox', { namespace, name: 'box' })).status?.phase === desiredState,
          { what: desiredState, timeoutMs: 20_000 },
        );
      }
      await store.delete('Sandbox', { namespace, name: 'box' });
      await eventually(() => isSandboxGone(store, { namespace, name: 'box' }), {
        what: 'the Sandbox gone',
        timeoutMs: 20_000,
      });
      // A clean stop hands the Lease to the standby, which takes it (its update of the Lease).
      await a.stop();
      await eventually(() => b.isLeader(), { what: 'b leads', timeoutMs: 20_000 });
    } finally {
      await a.stop();
      await b.stop();
    }
    // A write of the controller's that the API refuses as a conflict (someone wrote between its
    // read and its write) reads the current version: the scenarios above hit it by chance, so
    // each kind the controller writes is refused here once, through the controller's store.
    const controllerStore = new KubeStore(await recordingClient());
    for (const kind of ['Sandbox', 'SandboxSnapshot', 'Volume'] as const) {
      const name = uniqueName('conflict');
      const spec =
        kind === 'Sandbox'
          ? { templateRef: { name: 'shell' }, desiredState: 'Stopped' }
          : kind === 'SandboxSnapshot'
            ? { sandboxRef: { name: 'gone' } }
            : {};
      const stale: AnyResource = await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind,
        metadata: { name, namespace },
        spec,
      } as AnyResource);
      await store.update({ ...stale, metadata: { ...stale.metadata, labels: { moved: 'on' } } });
      await assert.rejects(controllerStore.updateStatus(stale), (error: unknown) =>
        isPaddockError(error, 'conflict'),
      );
      await store.delete(kind, { namespace, name });
    }

    const used = new Set<string>();
    for (const request of recorded) {
      const access = accessOf(request);
      if (access === 'discovery') continue;
      used.add(`${access.verb} ${access.group}/${access.resource}`);
      // Leases only in the controller's namespace, and by name except when created.
      if (access.resource === 'leases') {
        assert.equal(access.namespace, namespace, request.path);
        if (access.verb !== 'create' && access.verb !== 'watch') {
          assert.equal(access.name, CONTROLLER_LEASE, request.path);
        }
      }
    }
    const granted = new Set(
      CONTROLLER_PERMISSIONS.filter((p) => p.source === PermissionSource.Controller).flatMap((p) =>
        p.verbs.map((verb) => `${verb} ${p.group}/${p.resource}`),
      ),
    );
    assert.deepEqual([...used].sort(), [...granted].sort());
  });

  it("grants the pod runtime's kinds from its own table, nothing else", () => {
    const rows = CONTROLLER_PERMISSIONS.filter((p) => p.source === PermissionSource.PodRuntime);
    assert.deepEqual(
      rows.map((p) => `${p.group}/${p.resource}`).sort(),
      [
        ...INSTANCE_RESOURCES.map(
          (r) => `${r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : ''}/${r.plural}`,
        ),
        ...INSTANCE_SUBRESOURCES.map((r) => `/${r.resource}`),
        ...OWNER_KINDS.map((r) => `${r.apiVersion.split('/')[0]}/${r.plural}`),
      ].sort(),
    );
    for (const row of rows) assert.ok(!row.verbs.includes('update'), row.resource);
    // Paddock's kinds it only reads: the owners it checks before writing.
    for (const row of rows.filter((r) => r.group === 'paddock.dev')) {
      assert.deepEqual(row.verbs, ['get'], row.resource);
    }
  });
});
