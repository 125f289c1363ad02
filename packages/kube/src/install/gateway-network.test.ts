// The gateway on a cluster: `paddock install` renders a Service for the server's gateway port
// and a NetworkPolicy that admits, on that port only, Paddock's sandbox pods labelled with a run
// (in the namespaces the values select); the server is told that Service's URL, and the
// controller its namespace, pods and port (for the run pods' egress rule). The policy is
// read by a small evaluator of NetworkPolicy ingress semantics, and validated offline against
// the official schemas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { COMPONENT, MANAGED_BY, RUN_LABEL } from '../objects/labels.ts';
import type { KubeObject } from './install-meta.ts';
import { renderInstall } from './render.ts';
import { type InstallValues, resolveValues } from './values.ts';

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};
type Peer = { namespaceSelector?: Selector; podSelector?: Selector };
type IngressRule = { from?: Peer[]; ports?: Array<{ protocol?: string; port?: number }> };
type Client = { namespaceLabels: Record<string, string>; podLabels: Record<string, string> };

function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'Exists':
        return e.key in labels;
      case 'DoesNotExist':
        return !(e.key in labels);
      case 'In':
        return (e.values ?? []).includes(labels[e.key] ?? '\0');
      case 'NotIn':
        return !(e.values ?? []).includes(labels[e.key] ?? '\0');
      default:
        throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return byLabel && byExpression;
}

/** Whether one of the policies selecting the server pods admits `client` on TCP `port`. */
function admits(policies: KubeObject[], client: Client, port: number): boolean {
  return policies.some((policy) =>
    ((policy.spec as { ingress?: IngressRule[] }).ingress ?? []).some((rule) => {
      const onPort =
        rule.ports === undefined ||
        rule.ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && p.port === port);
      // A peer with only a podSelector means pods of the policy's own namespace.
      const fromClient =
        rule.from === undefined ||
        rule.from.some(
          (peer) =>
            peer.namespaceSelector !== undefined &&
            selects(peer.namespaceSelector, client.namespaceLabels) &&
            selects(peer.podSelector, client.podLabels),
        );
      return onPort && fromClient;
    }),
  );
}

function serverPolicies(values: InstallValues): KubeObject[] {
  return renderInstall(values).filter(
    (o) =>
      o.kind === 'NetworkPolicy' && o.metadata.labels?.['app.kubernetes.io/component'] === 'server',
  );
}

const SANDBOX = { [MANAGED_BY]: 'paddock', [COMPONENT]: 'sandbox' };
const RUN_POD = { ...SANDBOX, [RUN_LABEL]: 'fix-bug' };
const TEAM = { 'kubernetes.io/metadata.name': 'team' };

describe('paddock install: the gateway', () => {
  const values = resolveValues({});
  const gatewayPort = values.server.gatewayPort;

  it("is a Service on the server pods' gateway port, whose URL the server hands to runs", () => {
    const objects = renderInstall(values);
    const service = objects.find(
      (o) => o.kind === 'Service' && o.metadata.name === 'paddock-gateway',
    );
    assert.ok(service, 'the Service paddock-gateway');
    new Service(service as never).validate();
    const spec = service.spec as { ports: Array<{ port: number; targetPort: string }> };
    assert.deepEqual(
      spec.ports.map((p) => [p.port, p.targetPort]),
      [[gatewayPort, 'gateway']],
    );
    const deployment = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'paddock-server',
    );
    // biome-ignore lint/suspicious/noExplicitAny: a rendered Deployment read field by field.
    const container = (deployment as any).spec.template.spec.containers[0];
    assert.ok(container.command.includes(`--gateway-addr=0.0.0.0:${gatewayPort}`));
    assert.ok(
      container.command.includes(
        `--gateway-url=http://paddock-gateway.paddock-system.svc:${gatewayPort}`,
      ),
    );
    assert.ok(
      container.ports.some(
        (p: { name: string; containerPort: number }) =>
          p.name === 'gateway' && p.containerPort === gatewayPort,
      ),
    );
  });

  it('admits only sandbox pods of runs, on the gateway port only', () => {
    const policies = serverPolicies(values);
    const gateway = policies.find((p) => p.metadata.name === 'paddock-gateway');
    assert.ok(gateway, 'the NetworkPolicy paddock-gateway');
    new NetworkPolicy(gateway as never).validate();
    const run = { namespaceLabels: TEAM, podLabels: RUN_POD };
    assert.equal(admits(policies, run, gatewayPort), true, 'a run pod, on the gateway port');
    assert.equal(
      admits(policies, { namespaceLabels: TEAM, podLabels: SANDBOX }, gatewayPort),
      false,
      'a sandbox pod of no run',
    );
    assert.equal(
      admits(
        policies,
        { namespaceLabels: TEAM, podLabels: { [RUN_LABEL]: 'fix-bug' } },
        gatewayPort,
      ),
      false,
      'a pod with the run label that is no Paddock sandbox',
    );
    assert.equal(
      admits(policies, { namespaceLabels: TEAM, podLabels: { app: 'web' } }, gatewayPort),
      false,
      'any other pod',
    );
    // The gateway policy opens no other port: the API port is the server policy's alone.
    assert.equal(admits([gateway], run, values.server.port), false);
  });

  it('admits runs only from the namespaces networkPolicy.sandboxNamespaceLabels selects', () => {
    const chosen = resolveValues({
      sets: ['networkPolicy.sandboxNamespaceLabels={paddock.dev/sandboxes: "true"}'],
    });
    const policies = serverPolicies(chosen);
    for (const p of policies) new NetworkPolicy(p as never).validate();
    const labelled = { ...TEAM, 'paddock.dev/sandboxes': 'true' };
    assert.equal(
      admits(policies, { namespaceLabels: labelled, podLabels: RUN_POD }, gatewayPort),
      true,
    );
    assert.equal(
      admits(policies, { namespaceLabels: TEAM, podLabels: RUN_POD }, gatewayPort),
      false,
    );
  });

  it('renders no gateway policy without network policies, and neither object without a server', () => {
    const names = (sets: string[]) =>
      renderInstall(resolveValues({ sets }))
        .filter((o) => o.metadata.name === 'paddock-gateway')
        .map((o) => o.kind);
    assert.deepEqual(names(['networkPolicy.enabled=false']), ['Service']);
    assert.deepEqual(names(['server.enabled=false']), []);
  });

  it("tells the controller the server pods and the gateway's Service and port, from the same values", () => {
    const chosen = resolveValues({ sets: ['name=pd', 'namespace=ops', 'server.gatewayPort=9091'] });
    const objects = renderInstall(chosen);
    const controller = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'pd-controller',
    );
    // biome-ignore lint/suspicious/noExplicitAny: a rendered Deployment read field by field.
    const command: string[] = (controller as any).spec.template.spec.containers[0].command;
    const arg = (flag: string) => {
      const found = command.filter((a) => a.startsWith(`--${flag}=`));
      assert.equal(found.length, 1, `one --${flag}`);
      return found[0]?.slice(flag.length + 3);
    };
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'pd-gateway');
    assert.ok(service, 'the Service pd-gateway');
    const spec = service.spec as {
      selector: Record<string, string>;
      ports: Array<{ port: number }>;
    };
    assert.equal(arg('server-namespace'), 'ops');
    assert.equal(arg('server-namespace'), service.metadata.namespace);
    const labels = Object.fromEntries(
      (arg('server-labels') ?? '').split(',').map((pair) => pair.split('=') as [string, string]),
    );
    assert.deepEqual(labels, {
      'app.kubernetes.io/name': 'paddock',
      'app.kubernetes.io/instance': 'pd',
      'app.kubernetes.io/component': 'server',
    });
    assert.deepEqual(labels, spec.selector, "the gateway Service's pods");
    assert.equal(arg('gateway-service'), 'pd-gateway');
    assert.equal(arg('gateway-port'), '9091');
    assert.deepEqual(
      spec.ports.map((p) => p.port),
      [9091],
    );
    // The server listens for the gateway where the controller lets runs reach it.
    const server = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'pd-server');
    // biome-ignore lint/suspicious/noExplicitAny: a rendered Deployment read field by field.
    const serverPod = (server as any).spec.template;
    assert.ok(serverPod.spec.containers[0].command.includes('--gateway-addr=0.0.0.0:9091'));
    for (const [key, value] of Object.entries(labels)) {
      assert.equal(serverPod.metadata.labels[key], value, `server pods labelled ${key}`);
    }
  });
});
