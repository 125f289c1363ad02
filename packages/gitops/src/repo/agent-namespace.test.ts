// The manifests of an agent namespace, validated offline against the official Kubernetes schemas
// (kubernetes-models): the test API server does not serve core/v1 or networking.k8s.io.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { LimitRange, Namespace, ResourceQuota, ServiceAccount } from 'kubernetes-models/v1';
import {
  AgentSpec,
  agentLimitRange,
  agentManifests,
  agentUpdateMessage,
  type KubeManifest,
  mergeAgentChanges,
} from './agent-namespace.ts';

function validate(manifest: KubeManifest): void {
  switch (manifest.kind) {
    case 'Namespace':
      new Namespace(manifest as never).validate();
      return;
    case 'ResourceQuota':
      new ResourceQuota(manifest as never).validate();
      return;
    case 'LimitRange':
      new LimitRange(manifest as never).validate();
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

  it('are a Namespace, a ResourceQuota, a LimitRange, two NetworkPolicies and a ServiceAccount, all valid', () => {
    assert.deepEqual(
      Object.values(manifests).map((m) => m.kind),
      [
        'Namespace',
        'ResourceQuota',
        'LimitRange',
        'NetworkPolicy',
        'NetworkPolicy',
        'ServiceAccount',
      ],
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

  it('the LimitRange gives containers without resources their share of the quota', () => {
    assert.deepEqual((manifests['limitrange.yaml'] as unknown as { spec: unknown }).spec, {
      limits: [
        {
          type: 'Container',
          // 4 CPUs and 8Gi over 30 pods; requests 2 and 4Gi over 30.
          default: { cpu: '133m', memory: '273Mi' },
          defaultRequest: { cpu: '66m', memory: '136Mi' },
          max: { cpu: '4', memory: '8Gi' },
        },
      ],
    });
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{}, { cpu: '200m', memory: '409Mi' }],
      [
        { cpu: '500m', memory: '1G', pods: 3 },
        { cpu: '166m', memory: '317Mi' },
      ],
      [
        { cpu: '1m', memory: '1Ki', pods: 10_000 },
        { cpu: '1m', memory: '1Mi' },
      ],
      [
        { cpu: '2.5', memory: '1.5Gi', pods: 2 },
        { cpu: '1250m', memory: '768Mi' },
      ],
    ];
    for (const [input, expected] of cases) {
      const range = agentLimitRange(AgentSpec.parse({ name: 'x', ...input }));
      validate(range);
      const limit = (range.spec as { limits: Array<Record<string, unknown>> }).limits[0];
      assert.deepEqual(limit?.default, expected, JSON.stringify(input));
      assert.deepEqual(limit?.defaultRequest, expected, 'requests default to the limits');
    }
  });

  it('with cilium: a CiliumNetworkPolicy for DNS through the proxy and the domains granted', () => {
    assert.equal(manifests['ciliumnetworkpolicy.yaml'], undefined, 'not without cilium');
    const cilium = agentManifests(
      AgentSpec.parse({
        name: 'team-b',
        cilium: true,
        egress: { fqdns: ['api.openai.com', '*.anthropic.com'] },
      }),
    );
    const policy = cilium['ciliumnetworkpolicy.yaml'];
    assert.ok(policy);
    assert.equal(policy.apiVersion, 'cilium.io/v2');
    assert.equal(policy.metadata.namespace, 'team-b');
    const egress = (policy.spec as { egress: Array<Record<string, unknown>> }).egress;
    assert.deepEqual(egress[0]?.toPorts, [
      { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } },
    ]);
    assert.deepEqual(egress[1], {
      toFQDNs: [{ matchName: 'api.openai.com' }, { matchPattern: '*.anthropic.com' }],
      toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }],
    });
    // The Kubernetes objects stay valid beside it.
    for (const manifest of Object.values(cilium)) {
      if (manifest.kind !== 'CiliumNetworkPolicy') validate(manifest);
    }
  });

  it('an update merges egress key by key and its message names what changed', () => {
    const before = AgentSpec.parse({ name: 'team-a', egress: { namespaces: ['litellm'] } });
    const after = AgentSpec.parse(
      mergeAgentChanges(before, { cpu: '8', cilium: true, egress: { fqdns: ['api.openai.com'] } }),
    );
    assert.deepEqual(after.egress.namespaces, ['litellm']);
    assert.deepEqual(after.egress.fqdns, ['api.openai.com']);
    assert.equal(
      agentUpdateMessage(before, after),
      'agents: update team-a (cpu 8, cilium true, egress.fqdns [api.openai.com])',
    );
    assert.equal(agentUpdateMessage(after, after), 'agents: update team-a (no change)');
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
      { name: 'ok', egress: { fqdns: ['api.openai.com'] } },
      { name: 'ok', cilium: true, egress: { dns: false, fqdns: ['api.openai.com'] } },
      { name: 'ok', cilium: true, egress: { fqdns: ['https://api.openai.com'] } },
      { name: 'ok', cilium: true, egress: { fqdns: ['API.openai.com'] } },
      { name: 'ok', cilium: true, egress: { fqdns: ['api.*.com'] } },
    ]) {
      assert.equal(AgentSpec.safeParse(input).success, false, JSON.stringify(input));
    }
  });
});
