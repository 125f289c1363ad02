import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError, type SandboxEnvironment } from '@paddock/core';
import { labelKeys } from './labels.ts';
import { resolveObjectOptions } from './options.ts';
import { checkPodSecurity } from './pod-security.ts';
import { sandboxObjects } from './sandbox-objects.ts';
import { START_GATE_PATH } from './sandbox-pod.ts';
import { admittedSandbox, allObjects, validateObject } from './test-fixtures.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ISOLATIONS = ['process', 'gvisor', 'kata'] as const;
const EGRESS = ['none', 'allowlist', 'open'] as const;

function environment(
  isolation: (typeof ISOLATIONS)[number],
  egress: (typeof EGRESS)[number],
): SandboxEnvironment {
  return {
    image: 'registry.example/agent:1',
    command: ['node', 'server.js'],
    env: [{ name: 'MODE', value: 'test' }],
    resources: { cpu: '0.5', memory: '1Gi', storage: '20Gi', pids: 512 },
    isolation,
    network: { egress, allowedDomains: ['api.example.com', '*.example.org'] },
    ports: [{ name: 'web', port: 3000, protocol: 'http' }],
    files: [
      { path: '/workspace/README.md', content: 'hi' },
      { path: '/etc/agent/config.toml', content: 'x = 1', mode: '0600' },
    ],
    mounts: [{ name: 'login', mountPath: '/opt/login', credential: 'claude-login' }],
  };
}

describe('sandboxObjects: every isolation × egress × Cilium', () => {
  for (const isolation of ISOLATIONS) {
    for (const egress of EGRESS) {
      for (const hasCilium of [false, true]) {
        it(`${isolation}, ${egress}, ${hasCilium ? 'Cilium' : 'no Cilium'}: valid, restricted, owned`, () => {
          const options = resolveObjectOptions({ hasCilium });
          const sandbox = admittedSandbox(environment(isolation, egress));
          const objects = sandboxObjects(sandbox, options);
          const list = allObjects(objects);
          for (const object of list) {
            validateObject(object);
            const meta = object.metadata;
            assert.match(meta?.name ?? '', DNS_LABEL);
            assert.equal(meta?.namespace, 'team-a');
            assert.deepEqual(meta?.ownerReferences, [
              {
                apiVersion: 'paddock.dev/v1alpha1',
                kind: 'Sandbox',
                name: 'box',
                uid: 'uid-box-1',
                controller: true,
                blockOwnerDeletion: true,
              },
            ]);
            assert.equal(meta?.labels?.['app.kubernetes.io/managed-by'], 'paddock');
            assert.equal(meta?.labels?.['paddock.dev/sandbox'], 'box');
            assert.equal(meta?.labels?.['paddock.dev/instance'], 'box');
          }
          for (const pod of [objects.pod, objects.egressProxy?.pod]) {
            if (pod !== undefined) assert.deepEqual(checkPodSecurity(pod), []);
          }
          const classes = { process: undefined, gvisor: 'gvisor', kata: 'kata' };
          assert.equal(objects.pod.spec?.runtimeClassName, classes[isolation]);
          const withProxy = egress === 'allowlist' && !hasCilium;
          assert.equal(objects.egressProxy !== undefined, withProxy);
          assert.equal(objects.ciliumPolicy !== undefined, egress === 'allowlist' && hasCilium);
        });
      }
    }
  }
});

describe('sandboxPod', () => {
  const options = resolveObjectOptions();
  const objects = sandboxObjects(admittedSandbox(environment('gvisor', 'allowlist')), options);
  const pod = objects.pod;
  const container = pod.spec?.containers[0];

  it('runs hardened: non-root, read-only root, no token, no service links, no restart', () => {
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.spec?.enableServiceLinks, false);
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.equal(pod.spec?.serviceAccountName, objects.serviceAccount.metadata?.name);
    assert.equal(objects.serviceAccount.automountServiceAccountToken, false);
    assert.equal(pod.spec?.securityContext?.runAsUser, 1000);
    assert.equal(pod.spec?.securityContext?.fsGroup, 1000);
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container?.securityContext?.capabilities, { drop: ['ALL'] });
  });

  it('mounts /workspace from the claim and writable emptyDirs at /tmp, the home and /run/paddock', () => {
    const mounts = Object.fromEntries((container?.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const volumes = Object.fromEntries((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    assert.equal(
      volumes[mounts['/workspace']?.name ?? '']?.persistentVolumeClaim?.claimName,
      objects.workspaceClaim.metadata?.name,
    );
    for (const path of ['/tmp', '/home/user', '/run/paddock']) {
      assert.ok(volumes[mounts[path]?.name ?? '']?.emptyDir, path);
      assert.notEqual(mounts[path]?.readOnly, true, path);
    }
    assert.equal(mounts['/opt/login']?.readOnly, true);
    assert.equal(volumes[mounts['/opt/login']?.name ?? '']?.secret?.secretName, 'box-mount-login');
  });

  it('projects files outside the writable directories from the ConfigMap, with their mode', () => {
    const mount = container?.volumeMounts?.find((m) => m.mountPath === '/etc/agent/config.toml');
    assert.equal(mount?.readOnly, true);
    const volume = pod.spec?.volumes?.find((v) => v.name === mount?.name);
    assert.equal(volume?.configMap?.name, objects.filesConfigMap?.metadata?.name);
    const item = volume?.configMap?.items?.find((i) => i.path === mount?.subPath);
    assert.equal(item?.mode, 0o600);
    assert.equal(objects.filesConfigMap?.data?.[item?.key ?? ''], 'x = 1');
    assert.ok(!container?.volumeMounts?.some((m) => m.mountPath === '/workspace/README.md'));
  });

  it('requests what it limits, in canonical quantities, and records the pids limit', () => {
    assert.deepEqual(container?.resources?.limits, container?.resources?.requests);
    assert.equal(container?.resources?.limits?.cpu, '500m');
    assert.equal(container?.resources?.limits?.memory, '1Gi');
    assert.equal(pod.metadata?.annotations?.[labelKeys(options).pidsLimit], '512');
    assert.deepEqual(objects.workspaceClaim.spec?.resources?.requests, { storage: '20Gi' });
  });

  it('holds the command until the start gate exists, and idles without one', () => {
    assert.equal(container?.command?.[0], '/bin/sh');
    assert.match(container?.command?.[2] ?? '', new RegExp(START_GATE_PATH));
    assert.deepEqual(container?.command?.slice(-2), ['node', 'server.js']);
    const idle = sandboxObjects(admittedSandbox({ image: 'i' }), options).pod;
    assert.deepEqual(idle.spec?.containers[0]?.command, ['sleep', 'infinity']);
  });

  it('points the proxy variables at the egress proxy Service and sets HOME', () => {
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    const proxy = objects.egressProxy?.service;
    assert.equal(
      env.HTTPS_PROXY,
      `http://${proxy?.metadata?.name}:${proxy?.spec?.ports?.[0]?.port}`,
    );
    assert.equal(env.HOME, '/home/user');
    assert.equal(env.MODE, 'test');
  });

  it('gives each forwarded port a Service selecting the pod', () => {
    assert.equal(objects.services.length, 1);
    const service = objects.services[0];
    assert.equal(service?.metadata?.name, 'box-web');
    assert.equal(service?.spec?.ports?.[0]?.port, 3000);
    for (const [key, value] of Object.entries(service?.spec?.selector ?? {})) {
      assert.equal(pod.metadata?.labels?.[key], value);
    }
  });

  it('refuses a hostPath mount, an unadmitted Sandbox and one without a uid (validation_failed)', () => {
    const host = admittedSandbox({
      mounts: [{ name: 'h', mountPath: '/opt/h', hostPath: '/srv/data' }],
    });
    const unadmitted = {
      ...admittedSandbox({}),
      status: { phase: 'Pending' as const, conditions: [] },
    };
    const anonymous = admittedSandbox({}, 'box', '');
    for (const [sandbox, field] of [
      [host, 'spec.mounts[0].hostPath'],
      [unadmitted, 'status.resolved'],
      [anonymous, 'metadata.uid'],
    ] as const) {
      assert.throws(
        () => sandboxObjects(sandbox, options),
        (e) => isPaddockError(e) && e.code === 'validation_failed' && e.message.includes(field),
      );
    }
  });

  it('names the objects of a long-named sandbox within 63 characters, distinctly', () => {
    const long = 'a'.repeat(60);
    const one = sandboxObjects(
      admittedSandbox({ ports: [{ name: 'web', port: 80 }] }, long),
      options,
    );
    const two = sandboxObjects(
      admittedSandbox({ ports: [{ name: 'web', port: 80 }] }, `${'a'.repeat(59)}b`),
      options,
    );
    const names = (o: typeof one) => allObjects(o).map((x) => `${x.kind}/${x.metadata?.name}`);
    for (const name of [...names(one), ...names(two)]) {
      assert.match(name.split('/')[1] ?? '', DNS_LABEL);
      assert.ok((name.split('/')[1] ?? '').length <= 63, name);
    }
    assert.equal(new Set([...names(one), ...names(two)]).size, names(one).length * 2);
  });
});
