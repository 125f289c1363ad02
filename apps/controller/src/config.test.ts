// The controller's settings: flag > environment > default, every bad value named by its flag;
// and the server pods and gateway it is told by `paddock install` are those of the rendered
// server Deployment and gateway Service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { renderInstall, resolveValues } from '@paddock/kube';
import { type ControllerConfig, resolveControllerConfig, serverObjectOptions } from './config.ts';

const HOME = '/home/nobody';

function resolve(argv: string[], env: NodeJS.ProcessEnv = {}): ControllerConfig {
  const config = resolveControllerConfig(['--in-cluster', ...argv], env, HOME);
  assert.notEqual(config, 'help');
  return config as ControllerConfig;
}

/** The issues of a refused configuration, as `path: message` lines. */
function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveControllerConfig(['--in-cluster', ...argv], env, HOME);
  } catch (error) {
    assert.ok(isPaddockError(error), String(error));
    assert.equal(error.code, 'validation_failed');
    const issues = (error.details as { issues: Array<{ path: string; message: string }> }).issues;
    return issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('the configuration was accepted');
}

describe('controller settings: the server pods and the gateway', () => {
  it("defaults to the pod runtime's: paddock-system, the server pods, paddock-gateway on 8081", () => {
    const config = resolve([]);
    assert.deepEqual(serverObjectOptions(config), {
      controlPlane: {
        namespace: 'paddock-system',
        podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/component': 'server' },
      },
      gateway: {
        name: 'paddock-gateway',
        namespace: 'paddock-system',
        podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/component': 'server' },
        ports: [{ port: 8081 }],
      },
    });
  });

  it('reads the environment, and a flag beats it', () => {
    const env = {
      PADDOCK_SERVER_NAMESPACE: 'from-env',
      PADDOCK_SERVER_LABELS: 'app=env',
      PADDOCK_GATEWAY_SERVICE: 'env-gateway',
      PADDOCK_GATEWAY_PORT: '9000',
    };
    const fromEnv = resolve([], env);
    assert.deepEqual(
      [fromEnv.serverNamespace, fromEnv.serverLabels, fromEnv.gatewayService, fromEnv.gatewayPort],
      ['from-env', { app: 'env' }, 'env-gateway', 9000],
    );
    const fromFlags = resolve(
      [
        '--server-namespace=ops',
        '--server-labels=app.kubernetes.io/name=paddock,app.kubernetes.io/instance=pd',
        '--gateway-service=pd-gateway',
        '--gateway-port=9091',
      ],
      env,
    );
    assert.deepEqual(serverObjectOptions(fromFlags).gateway, {
      name: 'pd-gateway',
      namespace: 'ops',
      podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/instance': 'pd' },
      ports: [{ port: 9091 }],
    });
    assert.deepEqual(serverObjectOptions(fromFlags).controlPlane, {
      namespace: 'ops',
      podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/instance': 'pd' },
    });
  });

  it('refuses bad values, each named by its flag, all at once', () => {
    const issues = refusal([
      '--server-namespace=Ops',
      '--server-labels=app=paddock,nolabel',
      '--gateway-service=-gw',
      '--gateway-port=70000',
    ]);
    assert.equal(issues.length, 4, issues.join('\n'));
    assert.match(issues[0] ?? '', /^--server-namespace: must be a namespace name/);
    assert.match(issues[1] ?? '', /^--server-labels: "nolabel" is not a label KEY=VALUE/);
    assert.match(issues[2] ?? '', /^--gateway-service: must be a Service name/);
    assert.match(issues[3] ?? '', /^--gateway-port: must be a port, 1-65535/);
  });

  it('names the flag of a bad value from the environment too, and refuses empty labels', () => {
    assert.deepEqual(refusal([], { PADDOCK_GATEWAY_PORT: 'http' }), [
      '--gateway-port: must be a port, 1-65535',
    ]);
    assert.match(
      refusal(['--server-labels='])[0] ?? '',
      /^--server-labels: "" is not a label KEY=VALUE/,
    );
  });

  it("are the rendered server's and gateway Service's when run as paddock install renders it", () => {
    const values = resolveValues({ sets: ['name=pd', 'namespace=ops', 'server.gatewayPort=9091'] });
    const objects = renderInstall(values);
    const find = (kind: string, name: string) => {
      const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
      assert.ok(found, `${kind} ${name}`);
      // biome-ignore lint/suspicious/noExplicitAny: a rendered object read field by field.
      return found as any;
    };
    const [binary, command, ...args] = find('Deployment', 'pd-controller').spec.template.spec
      .containers[0].command as string[];
    assert.deepEqual([binary, command], ['paddock', 'controller']);
    const options = serverObjectOptions(
      resolveControllerConfig(args, {}, HOME) as ControllerConfig,
    );
    const service = find('Service', 'pd-gateway');
    const serverPod = find('Deployment', 'pd-server').spec.template;
    assert.deepEqual(options.gateway, {
      name: service.metadata.name,
      namespace: service.metadata.namespace,
      podLabels: service.spec.selector,
      ports: [{ port: service.spec.ports[0].port }],
    });
    assert.equal(options.controlPlane.namespace, 'ops');
    assert.equal(serverPod.metadata.namespace ?? service.metadata.namespace, 'ops');
    for (const [key, value] of Object.entries(options.controlPlane.podLabels)) {
      assert.equal(serverPod.metadata.labels[key], value, `the server pods carry ${key}`);
    }
    assert.ok(serverPod.spec.containers[0].command.includes('--gateway-addr=0.0.0.0:9091'));
  });
});

describe('controller settings: the default sandbox image', () => {
  it('is a public image by default; the environment sets it, a flag beats that', () => {
    assert.equal(resolve([]).defaultImage, 'debian:bookworm-slim');
    const env = { PADDOCK_DEFAULT_IMAGE: 'registry.example/env:1' };
    assert.equal(resolve([], env).defaultImage, 'registry.example/env:1');
    assert.equal(
      resolve(['--default-image=registry.example/flag:2'], env).defaultImage,
      'registry.example/flag:2',
    );
    assert.deepEqual(refusal(['--default-image=a b']), [
      '--default-image: must be an image reference, without spaces',
    ]);
  });

  it('is controller.defaultImage when run as paddock install renders it', () => {
    const values = resolveValues({ sets: ['controller.defaultImage=python:3.13-slim'] });
    const controller = renderInstall(values).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'paddock-controller',
    );
    // biome-ignore lint/suspicious/noExplicitAny: a rendered object read field by field.
    const [, , ...args] = (controller as any).spec.template.spec.containers[0].command as string[];
    const config = resolveControllerConfig(args, {}, HOME) as ControllerConfig;
    assert.equal(config.defaultImage, 'python:3.13-slim');
  });
});
