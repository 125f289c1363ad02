import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_VERSION, Sandbox, type SandboxEnvironment } from '@paddock/core';
import { sandboxInstance } from '../objects/labels.ts';
import { resolveObjectOptions } from '../objects/options.ts';
import { instanceFromRef, instanceName, ownerRefOf, sandboxOwnerUid } from './instance-ref.ts';

const environment: SandboxEnvironment = {
  image: 'registry.example/agent:1',
  env: [{ name: 'A', value: '1' }],
};

function sandbox(name: string, templateRef: { kind?: 'ClusterSandboxTemplate'; name: string }) {
  return Sandbox.parse({
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name, namespace: 'team-a', uid: 'uid-1' },
    spec: { templateRef },
    status: { phase: 'Creating', resolved: environment },
  });
}

describe('instanceFromRef', () => {
  for (const templateRef of [
    { name: 'base' },
    { kind: 'ClusterSandboxTemplate' as const, name: 'base' },
  ]) {
    it(`is the instance sandboxInstance makes for that Sandbox (${templateRef.kind ?? 'SandboxTemplate'})`, () => {
      const options = resolveObjectOptions();
      const ref = { namespace: 'team-a', name: 'box', uid: 'uid-1' };
      assert.deepEqual(
        instanceFromRef(ref, environment, templateRef, options),
        sandboxInstance(sandbox('box', templateRef), options),
      );
    });
  }

  it('owns the objects by the Sandbox of the ref, controller and blocking deletion', () => {
    const options = resolveObjectOptions({ labelPrefix: 'example.com/' });
    const instance = instanceFromRef(
      { namespace: 'ns', name: 'box', uid: 'u-9' },
      environment,
      { name: 'base' },
      options,
    );
    assert.deepEqual(instance.owner, {
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      name: 'box',
      uid: 'u-9',
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.equal(instance.namespace, 'ns');
    assert.equal(instance.labels['example.com/instance'], 'box');
    assert.equal(instance.labels['example.com/sandbox'], 'box');
    assert.equal(instance.labels['example.com/template'], 'base');
    assert.match(instance.labels['example.com/env-hash'] ?? '', /^[0-9a-f]{20}$/);
  });

  it('names the instance with a DNS label of the ref name', () => {
    assert.equal(instanceName({ name: 'box-1' }), 'box-1');
    assert.match(instanceName({ name: 'Box.With.Dots' }), /^box-with-dots-[0-9a-f]{8}$/);
  });

  it('reads the owning Sandbox back from an object, and nothing from a template-owned one', () => {
    const owned = {
      metadata: {
        namespace: 'ns',
        ownerReferences: [{ kind: 'Sandbox', name: 'box', uid: 'u-9', controller: true }],
      },
    };
    assert.equal(sandboxOwnerUid(owned), 'u-9');
    assert.deepEqual(ownerRefOf(owned), { namespace: 'ns', name: 'box', uid: 'u-9' });
    const warm = {
      metadata: {
        namespace: 'ns',
        ownerReferences: [{ kind: 'SandboxTemplate', name: 't', uid: 'u-t', controller: true }],
      },
    };
    assert.equal(sandboxOwnerUid(warm), undefined);
    assert.equal(ownerRefOf(warm), undefined);
  });
});
