// Previews on a cluster: the server's preview listener (its own origin) gets a fixed port,
// `server.previewPort`, that the Deployment declares, the Service `<name>-server` carries with
// the same number (the preview URLs the server hands out name it) and the server's
// NetworkPolicy admits. Without it the listener took a free port no Service could name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import type { KubeObject } from './install-meta.ts';
import { renderInstall } from './render.ts';
import { resolveValues } from './values.ts';

type Port = { name?: string; port?: number; targetPort?: string; containerPort?: number };

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found;
}

describe('paddock install: the preview port', () => {
  for (const [what, sets, port] of [
    ['by default', [], 7071],
    ['as set', ['server.previewPort=9000'], 9000],
    ['with several replicas', ['server.replicas=2', 'server.databaseUrl=postgres://db/p'], 7071],
  ] as const) {
    it(`is the server's listener, a port of its Service and of its policy: ${what}`, () => {
      const objects = renderInstall(resolveValues({ sets: [...sets] }));
      // biome-ignore lint/suspicious/noExplicitAny: a rendered Deployment read field by field.
      const deployment = find(objects, 'Deployment', 'paddock-server') as any;
      const container = deployment.spec.template.spec.containers[0];
      assert.ok(container.command.includes(`--preview-addr=0.0.0.0:${port}`), container.command);
      assert.ok(
        container.ports.some((p: Port) => p.name === 'preview' && p.containerPort === port),
      );
      const service = find(objects, 'Service', 'paddock-server').spec as { ports: Port[] };
      assert.deepEqual(
        service.ports.find((p) => p.name === 'preview'),
        { name: 'preview', port, targetPort: 'preview', protocol: 'TCP' },
      );
      const policy = find(objects, 'NetworkPolicy', 'paddock-server').spec as {
        ingress: Array<{ ports: Port[] }>;
      };
      assert.ok(policy.ingress.some((rule) => rule.ports.some((p) => p.port === port)));
    });
  }

  it('refuses a preview port that another listener of the server has', () => {
    assert.throws(
      () => resolveValues({ sets: ['server.previewPort=8081'] }),
      (error) =>
        isPaddockError(error, 'validation_failed') &&
        /server\.previewPort: .*must differ/.test(error.message),
    );
  });
});
