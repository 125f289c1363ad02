// The CiliumNetworkPolicy of an agent namespace against a real API server with Cilium's upstream
// CRDs: applied server-side with strict field validation, kept field for field, and an invalid
// domain refused by the CRD's schema (the check can fail).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeClient } from '@paddock/kube';
import type { KubeTestServer } from '@paddock/testkit';
import { startUpstreamKube, upstreamSkipReason } from '../cluster/test-kube.ts';
import { AgentSpec, agentCiliumPolicy, type KubeManifest } from './agent-namespace.ts';

describe('agent CiliumNetworkPolicy on a real API server', {
  skip: upstreamSkipReason ?? false,
}, () => {
  let server: KubeTestServer;
  let client: KubeClient;

  before(async () => {
    ({ server, client } = await startUpstreamKube());
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  const apply = (policy: KubeManifest) =>
    client.request<{ spec: unknown; metadata: { labels: Record<string, string> } }>(
      'PATCH',
      `/apis/cilium.io/v2/namespaces/${policy.metadata.namespace}/ciliumnetworkpolicies/${policy.metadata.name}`,
      {
        query: { fieldManager: 'paddock-test', force: true, fieldValidation: 'Strict' },
        body: policy,
        contentType: 'application/apply-patch+yaml',
      },
    );

  it('accepts the policy of each kind of grant server-side, as written', async () => {
    for (const input of [
      {
        name: 'team-a',
        egress: { fqdns: ['api.openai.com', '*.anthropic.com', 'huggingface.co'] },
      },
      { name: 'dns-only' },
      { name: 'closed', egress: { dns: false } },
    ]) {
      const policy = agentCiliumPolicy(AgentSpec.parse({ ...input, cilium: true }));
      const stored = await apply(policy);
      assert.deepEqual(stored.spec, JSON.parse(JSON.stringify(policy.spec)), input.name);
      assert.equal(stored.metadata.labels['paddock.dev/agent-namespace'], 'true');
    }
  });

  it('rejects what Cilium’s schema does not allow', async () => {
    const policy = agentCiliumPolicy(
      AgentSpec.parse({ name: 'team-c', cilium: true, egress: { fqdns: ['api.openai.com'] } }),
    );
    const spec = policy.spec as { egress: Array<Record<string, unknown>> };
    await assert.rejects(
      apply({
        ...policy,
        spec: {
          ...spec,
          egress: [{ ...spec.egress[1], toFQDNs: [{ matchName: 'https://api.openai.com/' }] }],
        },
      }),
      /matchName/,
    );
    await assert.rejects(
      apply({ ...policy, spec: { ...spec, egressDomains: ['api.openai.com'] } }),
      /egressDomains: field not declared in schema/,
    );
  });
});
