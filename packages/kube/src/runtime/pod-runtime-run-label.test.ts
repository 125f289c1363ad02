/**
 * The sandbox pod of a run carries the Sandbox's run label (so the gateway's NetworkPolicy can
 * admit it) and its own NetworkPolicy lets it reach the gateway; a sandbox of no run gets
 * neither. Against the combined stand-in, through provision and a stop and start.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { SandboxEnvironment, SandboxRef } from '@paddock/core';
import { KubeClient } from '../client/kube-client.ts';
import type { NetworkPolicy, Pod } from '../objects/kube-types.ts';
import { RUN_LABEL } from '../objects/labels.ts';
import { DEFAULT_OBJECT_OPTIONS } from '../objects/options.ts';
import { PodRuntime } from './pod-runtime.ts';
import { type StandInCluster, startStandInCluster } from './stand-in-cluster.ts';

const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0;
const NAMESPACE = 'team';
const SPEC: SandboxEnvironment = { network: { egress: 'allowlist', allowedDomains: [] } };
const GATEWAY_PORT = DEFAULT_OBJECT_OPTIONS.gateway?.ports[0]?.port;

describe('PodRuntime: the run label (stand-in pods)', {
  skip: hasBwrap ? false : 'needs bwrap',
}, () => {
  let cluster: StandInCluster;
  let client: KubeClient;

  before(async () => {
    cluster = await startStandInCluster();
    client = await KubeClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    client?.close();
    await cluster?.close();
  });

  /** A Sandbox in the API (labelled as the run controller labels a run's), as its ref. */
  async function sandbox(name: string, labels: Record<string, string>): Promise<SandboxRef> {
    const created = await client.request<{ metadata?: { uid?: string } }>(
      'POST',
      `/apis/paddock.dev/v1alpha1/namespaces/${NAMESPACE}/sandboxes`,
      {
        body: {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Sandbox',
          metadata: { name, namespace: NAMESPACE, labels },
          spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'agent' } },
        },
      },
    );
    return { namespace: NAMESPACE, name, uid: created.metadata?.uid ?? '' };
  }
  const get = <T>(kind: string, name: string) =>
    client.request<T>(
      'GET',
      `${kind === 'pods' ? '/api/v1' : '/apis/networking.k8s.io/v1'}/namespaces/${NAMESPACE}/${kind}/${name}`,
    );
  /** Whether the policy lets the pod out to the gateway's pods on the gateway port. */
  const reachesGateway = (policy: NetworkPolicy) =>
    (policy.spec?.egress ?? []).some(
      (rule) =>
        rule.ports?.some((p) => p.port === GATEWAY_PORT) &&
        rule.to?.some(
          (peer) =>
            peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ===
            DEFAULT_OBJECT_OPTIONS.gateway?.namespace,
        ),
    );

  it("copies a run's label onto its sandbox pod alone, and lets that pod reach the gateway", async () => {
    const runtime = new PodRuntime(client);
    const ofRun = await sandbox('run-box', { [RUN_LABEL]: 'fix-bug' });
    const plain = await sandbox('plain-box', {});
    try {
      await runtime.provision({ ...ofRun, spec: SPEC });
      await runtime.provision({ ...plain, spec: SPEC });

      const runPod = await get<Pod>('pods', 'run-box');
      assert.equal(runPod.metadata?.labels?.[RUN_LABEL], 'fix-bug');
      const proxy = await get<Pod>('pods', 'run-box-egress');
      assert.equal(proxy.metadata?.labels?.[RUN_LABEL], undefined, 'not its egress proxy');
      assert.ok(reachesGateway(await get<NetworkPolicy>('networkpolicies', 'run-box')));

      const plainPod = await get<Pod>('pods', 'plain-box');
      assert.equal(plainPod.metadata?.labels?.[RUN_LABEL], undefined);
      assert.equal(
        reachesGateway(await get<NetworkPolicy>('networkpolicies', 'plain-box')),
        false,
        'a sandbox of no run may not reach the gateway',
      );

      await runtime.stop(ofRun);
      await runtime.start(ofRun);
      const restarted = await get<Pod>('pods', 'run-box');
      assert.equal(restarted.metadata?.labels?.[RUN_LABEL], 'fix-bug', 'kept across a restart');
    } finally {
      await runtime.destroy(ofRun);
      await runtime.destroy(plain);
    }
  });
});
