// The sandbox pod of a run: the Sandbox's run label on the pod alone, and egress to DNS and the
// LLM gateway whatever its network; a sandbox of no run gets neither. Every object validated
// against the official schemas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SandboxEnvironment } from '@paddock/core';
import { RUN_LABEL } from './labels.ts';
import { resolveObjectOptions, type ServiceEndpoint } from './options.ts';
import { sandboxObjects } from './sandbox-objects.ts';
import { admittedSandbox, validateObject } from './test-fixtures.ts';

const GATEWAY: ServiceEndpoint = {
  namespace: 'ops',
  name: 'paddock-gateway',
  podLabels: { app: 'paddock-server' },
  ports: [{ port: 9000 }],
};
const options = resolveObjectOptions({ gateway: GATEWAY });

function objectsOf(network: SandboxEnvironment['network'], run?: string) {
  const sandbox = admittedSandbox({ network });
  if (run !== undefined) sandbox.metadata.labels = { [RUN_LABEL]: run };
  return sandboxObjects(sandbox, options);
}

/** The egress rules as `namespace:port` pairs (DNS is `kube-system:53`). */
function destinations(objects: ReturnType<typeof objectsOf>): string[] {
  return (objects.networkPolicy.spec?.egress ?? []).flatMap((rule) =>
    (rule.to ?? []).flatMap((peer) =>
      (rule.ports ?? []).map(
        (p) =>
          `${peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? peer.ipBlock?.cidr ?? 'own'}:${p.port}`,
      ),
    ),
  );
}

describe("a run's sandbox pod", () => {
  for (const egress of ['none', 'allowlist', 'open'] as const) {
    const network = egress === 'allowlist' ? { egress, allowedDomains: [] } : { egress };
    it(`egress ${egress}: carries the run label and may reach DNS and the gateway port`, () => {
      const objects = objectsOf(network, 'fix-bug');
      for (const object of [objects.pod, objects.networkPolicy]) validateObject(object);
      assert.equal(objects.pod.metadata?.labels?.[RUN_LABEL], 'fix-bug');
      assert.equal(objects.egressProxy?.pod.metadata?.labels?.[RUN_LABEL], undefined);
      assert.equal(objects.workspaceClaim.metadata?.labels?.[RUN_LABEL], undefined);
      const to = destinations(objects);
      assert.ok(to.includes('ops:9000'), to.join(', '));
      assert.ok(to.includes('kube-system:53'), to.join(', '));
      assert.equal(to.filter((d) => d === 'kube-system:53').length, 2, 'DNS once (UDP, TCP)');
    });

    it(`egress ${egress}: a sandbox of no run has no label and no way to the gateway`, () => {
      const objects = objectsOf(network);
      assert.equal(objects.pod.metadata?.labels?.[RUN_LABEL], undefined);
      assert.equal(destinations(objects).includes('ops:9000'), false);
    });
  }

  it('egress none: DNS and the gateway, and nothing else', () => {
    assert.deepEqual(destinations(objectsOf({ egress: 'none' }, 'fix-bug')).sort(), [
      'kube-system:53',
      'kube-system:53',
      'ops:9000',
    ]);
    assert.deepEqual(destinations(objectsOf({ egress: 'none' })), []);
  });
});
