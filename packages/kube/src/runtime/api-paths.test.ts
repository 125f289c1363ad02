import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import {
  apiResource,
  groupVersionPath,
  INSTANCE_RESOURCES,
  objectPath,
  resourcePath,
} from './api-paths.ts';

describe('apiVersion/kind → API path', () => {
  it('puts core kinds under /api/v1 and the others under /apis/<group>/<version>', () => {
    assert.equal(groupVersionPath('v1'), '/api/v1');
    assert.equal(groupVersionPath('networking.k8s.io/v1'), '/apis/networking.k8s.io/v1');
    assert.equal(groupVersionPath('cilium.io/v2'), '/apis/cilium.io/v2');
  });

  it('names every kind of an instance with its plural', () => {
    const table = Object.fromEntries(
      INSTANCE_RESOURCES.map((r) => [`${r.apiVersion}/${r.kind}`, resourcePath(r, 'team-a', 'x')]),
    );
    assert.deepEqual(table, {
      'v1/ServiceAccount': '/api/v1/namespaces/team-a/serviceaccounts/x',
      'v1/ConfigMap': '/api/v1/namespaces/team-a/configmaps/x',
      'v1/Secret': '/api/v1/namespaces/team-a/secrets/x',
      'v1/PersistentVolumeClaim': '/api/v1/namespaces/team-a/persistentvolumeclaims/x',
      'networking.k8s.io/v1/NetworkPolicy':
        '/apis/networking.k8s.io/v1/namespaces/team-a/networkpolicies/x',
      'cilium.io/v2/CiliumNetworkPolicy':
        '/apis/cilium.io/v2/namespaces/team-a/ciliumnetworkpolicies/x',
      'v1/Service': '/api/v1/namespaces/team-a/services/x',
      'v1/Pod': '/api/v1/namespaces/team-a/pods/x',
    });
  });

  it('lists the dependencies before what needs them: the pod after its claim and policies', () => {
    const kinds = INSTANCE_RESOURCES.map((r) => r.kind);
    const at = (kind: string) => kinds.indexOf(kind as (typeof kinds)[number]);
    for (const before of [
      'ServiceAccount',
      'ConfigMap',
      'Secret',
      'PersistentVolumeClaim',
      'NetworkPolicy',
    ]) {
      assert.ok(at(before) < at('Pod'), `${before} before Pod`);
    }
  });

  it('addresses collections across namespaces, and escapes names', () => {
    assert.equal(resourcePath(apiResource('v1', 'Pod'), undefined), '/api/v1/pods');
    assert.equal(
      resourcePath(apiResource('v1', 'Pod'), 'a b', 'c/d'),
      '/api/v1/namespaces/a%20b/pods/c%2Fd',
    );
    assert.equal(
      objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' } }),
      '/api/v1/namespaces/n/pods/p',
    );
  });

  it('refuses a kind it does not hold, and the right kind under the wrong version', () => {
    for (const [apiVersion, kind] of [
      ['apps/v1', 'Deployment'],
      ['v1', 'NetworkPolicy'],
      ['networking.k8s.io/v1beta1', 'NetworkPolicy'],
    ] as const) {
      assert.throws(
        () => apiResource(apiVersion, kind),
        (e) => isPaddockError(e, 'validation_failed'),
      );
    }
    assert.throws(
      () => objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }),
      (e) => isPaddockError(e, 'internal'),
    );
  });
});
