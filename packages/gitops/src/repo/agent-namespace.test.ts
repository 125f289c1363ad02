// The manifests of an agent namespace, validated offline against the official Kubernetes schemas
// (kubernetes-models): the test API server does not serve core/v1 or networking.k8s.io.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Namespace, ResourceQuota, ServiceAccount } from 'kubernetes-models/v1';
import { AgentSpec, agentManifests, type KubeManifest } from './agent-namespace.ts';

function validate(manifest: KubeManifest): void {
  switch (manifest.kind) {
    case 'Namespace':
      new Namespace(manifest as never).validate();
      return;
    case 'ResourceQuota':
      new ResourceQuota(manifest as never).validate();
      return;
    case 'NetworkPolicy':
      new NetworkPolicy(manifest as never).validate();
      return;
    case 'ServiceAccount':
      new ServiceAccount(manifest as never).validate();
      return;
    default:
      assert.fail(`unexpected kind ${manifest.kind}`);
  }
}

describe('agent namespace manifests', () => {
  const spec = AgentSpec.parse({
    name: 'team-a',
    cpu: '4',
    memory: '8Gi',
    requestsCpu: '2',
    requestsMemory: '4Gi',
    pods: 30,
    egress: { namespaces: ['litellm', 'langfuse'], cidrs: ['203.0.113.0/24'], internet: true },
    ingressFromNamespaces: ['paddock-system'],
  });
  const manifests = agentManifests(spec);

  it('are a Namespace, a ResourceQuota, two NetworkPolicies and a ServiceAccount, all valid', () => {
    assert.deepEqual(
      Object.values(manifests).map((m) => m.kind),
      ['Namespace', 'ResourceQuota', 'NetworkPolicy', 'NetworkPolicy', 'ServiceAccount'],
    );
    for (const manifest of Object.values(manifests)) {
      validate(manifest);
      if (manifest.kind !== 'Namespace') assert.equal(manifest.metadata.namespace, 'team-a');
    }
    for (const input of [{ name: 'minimal' }, { name: 'closed', egress: { dns: false } }]) {
      for (const manifest of Object.values(agentManifests(AgentSpec.parse(input))))
        validate(manifest);
    }
  });

  it('the quota bounds requests, limits and pods', () => {
    assert.deepEqual((manifests['resourcequota.yaml'] as unknown as { spec: unknown }).spec, {
      hard: {
        'requests.cpu': '2',
        'requests.memory': '4Gi',
        'limits.cpu': '4',
        'limits.memory': '8Gi',
        pods: '30',
      },
    });
  });

  it('denies all traffic by default and allows only what is granted', () => {
    const deny = manifests['networkpolicy-default-deny.yaml'] as unknown as {
      spec: Record<string, unknown>;
    };
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const granted = manifests['networkpolicy-granted.yaml'] as unknown as {
      spec: { egress: Array<{ to: unknown[] }>; ingress: Array<{ from: unknown[] }> };
    };
    const targets = JSON.stringify(granted.spec.egress);
    for (const expected of ['kube-dns', '"litellm"', '"langfuse"', '203.0.113.0/24', '0.0.0.0/0']) {
      assert.ok(targets.includes(expected), `${expected} in ${targets}`);
    }
    assert.ok(JSON.stringify(granted.spec.ingress).includes('"paddock-system"'));
    const closed = agentManifests(AgentSpec.parse({ name: 'closed', egress: { dns: false } }));
    const closedEgress = (
      closed['networkpolicy-granted.yaml'] as unknown as { spec: { egress: unknown[] } }
    ).spec.egress;
    // Only the namespace's own pods.
    assert.deepEqual(closedEgress, [{ to: [{ podSelector: {} }] }]);
  });

  it('rejects bad names, quantities and requests above limits', () => {
    for (const input of [
      { name: 'Team_A' },
      { name: 'argocd' },
      { name: 'ok', cpu: 'four' },
      { name: 'ok', memory: '1Gi', requestsMemory: '2Gi' },
      { name: 'ok', pods: 0 },
      { name: 'ok', egress: { cidrs: ['example.com'] } },
      { name: 'ok', unknown: true },
    ]) {
      assert.equal(AgentSpec.safeParse(input).success, false, JSON.stringify(input));
    }
  });
});
