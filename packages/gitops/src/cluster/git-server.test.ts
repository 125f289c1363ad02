// The objects that serve the repository to the cluster, validated offline against the official
// Kubernetes schemas (kubernetes-models): the test API server does not serve core/v1 or apps/v1.
// Its CiliumNetworkPolicy is accepted by a real API server in existing.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Namespace, Secret, Service } from 'kubernetes-models/v1';
import { gitServerObjects, IN_CLUSTER_REPO_URL, repositorySecret } from './git-server.ts';
import type { KubeObject } from './kube-objects.ts';

function validate(object: KubeObject): void {
  switch (object.kind) {
    case 'Namespace':
      new Namespace(object as never).validate();
      return;
    case 'Deployment':
      new Deployment(object as never).validate();
      return;
    case 'Service':
      new Service(object as never).validate();
      return;
    case 'Secret':
      new Secret(object as never).validate();
      return;
    case 'CiliumNetworkPolicy':
      return;
    default:
      assert.fail(`no schema for ${object.kind}`);
  }
}

describe('the git server and Argo CD’s repository', () => {
  it('are valid Kubernetes objects', () => {
    for (const object of [...gitServerObjects(), repositorySecret(IN_CLUSTER_REPO_URL)])
      validate(object);
  });

  it('a bad object fails the same validation (the check can fail)', () => {
    const [, deployment] = gitServerObjects();
    assert.ok(deployment);
    assert.throws(() => validate({ ...deployment, spec: { replicas: 'one' } }));
  });

  it('the Service selects the Deployment’s pods on the git port; the Secret names the URL', () => {
    const objects = gitServerObjects();
    const deployment = objects.find((o) => o.kind === 'Deployment') as
      | { spec: { template: { metadata: { labels: Record<string, string> } } } }
      | undefined;
    const service = objects.find((o) => o.kind === 'Service') as
      | { spec: { selector: Record<string, string>; ports: Array<{ port: number }> } }
      | undefined;
    for (const [key, value] of Object.entries(service?.spec.selector ?? {})) {
      assert.equal(deployment?.spec.template.metadata.labels[key], value);
    }
    assert.equal(service?.spec.ports[0]?.port, 9418);
    const secret = repositorySecret('https://git.example.com/g.git');
    assert.equal(secret.metadata.labels?.['argocd.argoproj.io/secret-type'], 'repository');
    assert.deepEqual(secret.stringData, {
      type: 'git',
      name: 'paddock-gitops',
      url: 'https://git.example.com/g.git',
    });
  });
});
