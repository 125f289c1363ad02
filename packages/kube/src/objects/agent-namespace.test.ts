import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentNamespaceName, agentNamespaceObjects } from './agent-namespace.ts';
import { resolveObjectOptions } from './options.ts';
import { agent, validateObject } from './test-fixtures.ts';

const options = resolveObjectOptions();

describe('agentNamespaceObjects', () => {
  it('builds a restricted namespace with quota, default-deny policy and a tokenless account', () => {
    const objects = agentNamespaceObjects(
      agent('coder', { cpu: '2.5', memory: '4Gi', pods: 5 }),
      options,
    );
    for (const object of Object.values(objects)) validateObject(object);
    assert.equal(objects.namespace.metadata?.name, 'agent-coder');
    assert.equal(
      objects.namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'],
      'restricted',
    );
    assert.equal(objects.namespace.metadata?.labels?.['paddock.dev/agent'], 'coder');
    assert.deepEqual(objects.resourceQuota.spec?.hard, {
      'requests.cpu': '2500m',
      'limits.cpu': '2500m',
      'requests.memory': '4Gi',
      'limits.memory': '4Gi',
      pods: '5',
    });
    assert.deepEqual(objects.networkPolicy.spec, {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    assert.equal(objects.networkPolicy.spec?.egress, undefined);
    assert.equal(objects.serviceAccount.automountServiceAccountToken, false);
    for (const object of [objects.resourceQuota, objects.networkPolicy, objects.serviceAccount]) {
      assert.equal(object.metadata?.namespace, 'agent-coder');
    }
  });

  it('falls back to the default quota', () => {
    const hard = agentNamespaceObjects(agent('plain'), options).resourceQuota.spec?.hard;
    assert.equal(hard?.['limits.cpu'], '8');
    assert.equal(hard?.pods, '20');
  });

  it('keeps a long agent name within a DNS label, distinctly', () => {
    const a = agentNamespaceName('x'.repeat(63));
    const b = agentNamespaceName(`${'x'.repeat(62)}y`);
    for (const name of [a, b]) assert.match(name, /^agent-x+-?[0-9a-f]*$/);
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
  });
});
