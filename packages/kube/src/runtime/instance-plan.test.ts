/**
 * Every body provision applies, validated offline against the official schemas (the test API
 * server cannot dry-run core kinds): kubernetes-models for Kubernetes, its Cilium models for
 * Cilium. Plus the order, ownership, the request's inputs and the state start reads back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CiliumNetworkPolicy } from '@kubernetes-models/cilium/cilium.io/v2';
import { isPaddockError, type ReadOnlyFiles, type SandboxEnvironment } from '@paddock/core';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import {
  ConfigMap,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import type { Pod as PodObject } from '../objects/kube-types.ts';
import { resolveObjectOptions } from '../objects/options.ts';
import { checkPodSecurity } from '../objects/pod-security.ts';
import { instanceObjects } from '../objects/sandbox-objects.ts';
import type { AddressedObject } from './api-paths.ts';
import { provisionPlan } from './instance-plan.ts';
import { instanceFromRef } from './instance-ref.ts';
import { checkInputs, runtimeInputs } from './runtime-inputs.ts';
import { readState, stateConfigMap } from './runtime-state.ts';

type Model = { validate(): void; apiVersion: string };
const MODELS: Record<string, (o: never) => Model> = {
  Pod: (o) => new Pod(o),
  PersistentVolumeClaim: (o) => new PersistentVolumeClaim(o),
  Service: (o) => new Service(o),
  ServiceAccount: (o) => new ServiceAccount(o),
  ConfigMap: (o) => new ConfigMap(o),
  Secret: (o) => new Secret(o),
  NetworkPolicy: (o) => new NetworkPolicy(o),
  CiliumNetworkPolicy: (o) => new CiliumNetworkPolicy(o) as unknown as Model,
};

function validate(object: AddressedObject): void {
  const make = MODELS[object.kind];
  assert.ok(make, `a schema for ${object.kind}`);
  const model = make(structuredClone(object) as never);
  model.validate();
  assert.equal(model.apiVersion, object.apiVersion);
}

const ref = { namespace: 'team-a', name: 'box', uid: 'uid-box-1' };
const text = (s: string) => new TextEncoder().encode(s);

function environment(egress: 'none' | 'allowlist' | 'open'): SandboxEnvironment {
  return {
    image: 'registry.example/agent:1',
    command: ['node', 'server.js'],
    env: [
      { name: 'MODE', value: 'template' },
      { name: 'KEEP', value: 'yes' },
    ],
    network: { egress, allowedDomains: ['api.example.com'] },
    ports: [{ name: 'web', port: 3000, protocol: 'http' }],
    files: [{ path: '/etc/agent/config.toml', content: 'x = 1' }],
    mounts: [{ name: 'login', mountPath: '/opt/login', credential: 'claude-login' }],
  };
}

const readOnlyFiles: ReadOnlyFiles[] = [
  {
    mountPath: '/opt/login',
    files: [
      { path: 'config.json', content: text('{}') },
      { path: 'bin/helper', content: text('#!/bin/sh'), mode: 0o755 },
    ],
  },
  { mountPath: '/opt/extra', files: [{ path: 'token', content: text('t') }] },
];

function plan(egress: 'none' | 'allowlist' | 'open', hasCilium: boolean) {
  const options = resolveObjectOptions({ hasCilium });
  const env = environment(egress);
  const instance = instanceFromRef(ref, env, { name: 'base' }, options);
  const objects = instanceObjects(instance, env, options);
  const request = { MODE: 'request', RUN_TOKEN: 'secret-token', HTTP_PROXY: 'http://evil:1' };
  checkInputs(env, request, readOnlyFiles);
  const { secrets, layout } = runtimeInputs(instance, env, request, readOnlyFiles);
  const state = stateConfigMap(instance, {
    environment: env,
    templateRef: { name: 'base' },
    inputs: layout,
  });
  return {
    list: provisionPlan(objects, env, options, { state, secrets, layout, sandboxName: 'box' }),
    state,
    env,
  };
}

describe('provisionPlan', () => {
  for (const egress of ['none', 'allowlist', 'open'] as const) {
    for (const hasCilium of [false, true]) {
      it(`${egress}, ${hasCilium ? 'Cilium' : 'no Cilium'}: every body passes its official schema, owned by the Sandbox`, () => {
        const { list } = plan(egress, hasCilium);
        for (const object of list) {
          validate(object);
          const meta = object.metadata as { namespace?: string; ownerReferences?: unknown[] };
          assert.equal(meta.namespace, 'team-a');
          assert.deepEqual(meta.ownerReferences, [
            {
              apiVersion: 'paddock.dev/v1alpha1',
              kind: 'Sandbox',
              name: 'box',
              uid: 'uid-box-1',
              controller: true,
              blockOwnerDeletion: true,
            },
          ]);
        }
        for (const pod of list.filter((o) => o.kind === 'Pod')) {
          assert.deepEqual(
            checkPodSecurity(pod as PodObject),
            [],
            `${pod.metadata?.name} is restricted`,
          );
        }
      });
    }
  }

  it('applies identity, state, files, Secrets, claim and policies before the proxy, the pod, then Services', () => {
    const kinds = plan('allowlist', false).list.map((o) => `${o.kind}/${o.metadata?.name}`);
    assert.deepEqual(kinds, [
      'ServiceAccount/box',
      'ConfigMap/box-runtime',
      'ConfigMap/box-files',
      'Secret/box-env',
      'Secret/box-mount-login',
      'Secret/box-files-ro-1',
      'PersistentVolumeClaim/box-workspace',
      'NetworkPolicy/box',
      'NetworkPolicy/box-egress',
      'Service/box-egress',
      'Pod/box-egress',
      'Pod/box',
      'Service/box-web',
    ]);
  });

  it("loads the request's env from a Secret, over the template's but never over the proxy's", () => {
    const { list } = plan('allowlist', false);
    const pod = list.find((o) => o.kind === 'Pod' && o.metadata?.name === 'box') as PodObject;
    const container = pod.spec?.containers[0];
    const names = (container?.env ?? []).map((v) => v.name);
    assert.ok(!names.includes('MODE'), 'the request sets MODE');
    assert.ok(names.includes('KEEP') && names.includes('HTTP_PROXY'));
    assert.ok(!JSON.stringify(pod).includes('secret-token'), 'no env value in the pod');
    assert.deepEqual(container?.envFrom, [{ secretRef: { name: 'box-env' } }]);
  });

  it('projects read-only files item by item: the credential mount in place, others as new volumes', () => {
    const { list } = plan('none', false);
    const pod = list.find((o) => o.kind === 'Pod') as PodObject;
    const login = pod.spec?.volumes?.find((v) => v.secret?.secretName === 'box-mount-login');
    assert.deepEqual(login?.secret?.items, [
      { key: 'f0', path: 'config.json', mode: 0o440 },
      { key: 'f1', path: 'bin/helper', mode: 0o550 },
    ]);
    const extra = pod.spec?.volumes?.find((v) => v.secret?.secretName === 'box-files-ro-1');
    assert.deepEqual(extra?.secret?.items, [{ key: 'f0', path: 'token', mode: 0o440 }]);
    const mount = pod.spec?.containers[0]?.volumeMounts?.find((m) => m.mountPath === '/opt/extra');
    assert.deepEqual(mount, { name: extra?.name, mountPath: '/opt/extra', readOnly: true });
    const secret = list.find((o) => o.metadata?.name === 'box-mount-login') as {
      data?: Record<string, string>;
    };
    assert.equal(Buffer.from(secret.data?.f1 ?? '', 'base64').toString(), '#!/bin/sh');
  });

  it('keeps what start needs in the state ConfigMap, without any secret', () => {
    const { state, env } = plan('open', true);
    const data = readState(state);
    assert.deepEqual(data.environment, env);
    assert.deepEqual(data.templateRef, { name: 'base' });
    assert.deepEqual(data.inputs.env, {
      secretName: 'box-env',
      names: ['MODE', 'RUN_TOKEN', 'HTTP_PROXY'],
    });
    assert.ok(!JSON.stringify(state).includes('secret-token'));
  });
});

describe('checkInputs', () => {
  it('lists every bad env name, mount path, file path and credential mount without files', () => {
    const env = environment('none');
    assert.throws(
      () =>
        checkInputs(env, { 'BAD-NAME': 'x', GOOD: 'y' }, [
          { mountPath: '/workspace', files: [{ path: '../escape', content: text('') }] },
          { mountPath: 'relative', files: [{ path: '/abs', content: text('') }] },
        ]),
      (error) => {
        assert.ok(isPaddockError(error, 'validation_failed'));
        const paths = ((error.details as { issues: { path: string }[] }).issues ?? []).map(
          (i) => i.path,
        );
        assert.deepEqual(paths, [
          'env.BAD-NAME',
          'readOnlyFiles[0].mountPath',
          'readOnlyFiles[0].files[0].path',
          'readOnlyFiles[1].mountPath',
          'readOnlyFiles[1].files[0].path',
          'spec.mounts[0].credential',
        ]);
        return true;
      },
    );
  });
});
