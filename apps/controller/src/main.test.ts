import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTROLLER_LEASE, type KubeClient, type KubeEvent, type KubeStore } from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  startPaddockProcess,
  uniqueName,
} from '@paddock/testkit';
import { isSandboxGone, startTestCluster, type TestCluster } from './test-cluster.ts';

const cli = fileURLToPath(new URL('../../cli/bin/paddock.js', import.meta.url));

describe('paddock controller, the command', () => {
  it('prints its usage', () => {
    const run = spawnSync(process.execPath, [cli, 'controller', '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: paddock controller \(--kubeconfig FILE \| --in-cluster\)/);
  });

  it('refuses bad settings, naming each flag, before it connects', () => {
    const run = spawnSync(
      process.execPath,
      [
        cli,
        'controller',
        '--kubeconfig',
        'k',
        '--in-cluster',
        '--lease-duration',
        '1500ms',
        '--metrics-addr',
        'nowhere',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--kubeconfig: give --kubeconfig or --in-cluster, not both/);
    assert.match(run.stderr, /--lease-duration: must be whole seconds/);
    assert.match(run.stderr, /--metrics-addr: must be HOST:PORT/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('paddock controller on a real API server', { skip: kubeSkipReason ?? false }, () => {
  let cluster: TestCluster;
  let server: KubeTestServer;
  let client: KubeClient;
  let store: KubeStore;
  before(async () => {
    cluster = await startTestCluster();
    ({ server, client, store } = cluster);
  });
  after(() => cluster?.stop());

  it('leads, reports a server without pods on the Sandbox, and hands its Lease back on SIGTERM', async () => {
    const namespace = uniqueName('proc');
    const lease = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${CONTROLLER_LEASE}`;
    const controller = await startPaddockProcess([
      cli,
      'controller',
      '--kubeconfig',
      server.kubeconfig,
      '--namespace',
      namespace,
      '--identity',
      'proc-1',
      '--metrics-addr',
      '127.0.0.1:0',
    ]);
    try {
      await eventually(
        async () => {
          const held = await client
            .request<{ spec?: { holderIdentity?: string } }>('GET', lease)
            .catch(() => undefined);
          return held?.spec?.holderIdentity === 'proc-1';
        },
        { what: 'proc-1 holding the Lease' },
      );
      // Ready once it leads with its caches filled (503 "starting" until then).
      await eventually(async () => (await fetch(`${controller.url}/readyz`)).status === 200, {
        what: 'the leader ready',
      });
      await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxTemplate',
        metadata: { name: 'shell', namespace },
        spec: {},
      });
      await store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { name: 'box', namespace },
        spec: { templateRef: { name: 'shell' }, desiredState: 'Running' },
      });
      // This server serves CRDs alone: the pod runtime says what is missing, on the Sandbox's
      // timeline, and the controller keeps retrying.
      const warning = await eventually(
        async () => {
          const list = await client.request<{ items: KubeEvent[] }>(
            'GET',
            `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
          );
          return list.items.find((e) => e.reason === 'RuntimeUnavailable');
        },
        { what: 'a RuntimeUnavailable Event', timeoutMs: 20_000 },
      );
      assert.equal(warning.type, 'Warning');
      assert.equal(warning.regarding?.name, 'box');
      assert.match(warning.note ?? '', /does not serve pods \(v1\)/);
      // Admitted while it waits for the runtime (written once its first start has failed).
      await eventually(
        async () =>
          (await store.get('Sandbox', { namespace, name: 'box' })).status?.phase === 'Creating',
        { what: 'the Sandbox Creating' },
      );
      await store.delete('Sandbox', { namespace, name: 'box' });
      await eventually(() => isSandboxGone(store, { namespace, name: 'box' }), {
        what: 'the Sandbox finalized and gone',
      });
    } finally {
      assert.equal(await controller.stop(), 0, controller.stderr());
    }
    const released = await client.request<{ spec?: { holderIdentity?: string } }>('GET', lease);
    assert.ok(!released.spec?.holderIdentity, 'the Lease is handed back');
  });
});
