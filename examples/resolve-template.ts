// Resolves a template chain and applies a Sandbox's overrides, printing where each field came from.
// Run: ./scripts/npm exec -- node examples/resolve-template.ts
import { type AnyTemplate, applyOverrides, parseResource, resolveTemplate } from '@paddock/core';

const manifests = [
  {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterSandboxTemplate',
    metadata: { name: 'base' },
    spec: {
      resources: { cpu: '1', memory: '1Gi', pids: 256 },
      timeout: '2h',
      env: [{ name: 'LANG', value: 'C.UTF-8' }],
      network: { egress: 'allowlist', allowedDomains: ['pypi.org'] },
      overridable: ['env', 'timeout'],
    },
  },
  {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'SandboxTemplate',
    metadata: { name: 'python', namespace: 'default' },
    spec: {
      inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'base' },
      command: ['python3', '-m', 'http.server', '8080'],
      env: [{ name: 'PYTHONUNBUFFERED', value: '1' }],
      network: { allowedDomains: ['files.pythonhosted.org'] },
      ports: [{ name: 'web', port: 8080, protocol: 'http' }],
    },
  },
].map((m) => parseResource(m) as AnyTemplate);

const lookup = (kind: string, namespace: string | undefined, name: string) =>
  manifests.find(
    (t) => t.kind === kind && t.metadata.name === name && t.metadata.namespace === namespace,
  );

const resolved = resolveTemplate({ name: 'python' }, { lookup, namespace: 'default' });
console.log('chain:', resolved.chain.join(' → '));

const applied = applyOverrides(
  resolved,
  { timeout: '30m', env: [{ name: 'DEBUG', value: '1' }], resources: { cpu: '8' } },
  'Sandbox/demo',
);
console.log(JSON.stringify({ spec: applied.spec, origins: applied.origins }, null, 2));
for (const v of applied.violations) console.log(`refused override: ${v.field}: ${v.message}`);
