import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { PolicySpec } from './policy.ts';
import { effectivePolicy, POLICY_MERGE_RULES } from './policy-merge.ts';

/** Every field and nested field set; CLUSTER and NAMESPACE differ in every leaf. */
const CLUSTER: PolicySpec = {
  sandboxes: { maxPerNamespace: 10, maxPerUser: 3 },
  resources: { maxCpu: '4', maxMemory: '8Gi', maxStorage: '50Gi' },
  maxTimeout: '24h',
  maxIdleTimeout: '1h',
  allowedTemplates: ['base', 'python-*'],
  approvedImageRegistries: ['ghcr.io/acme', 'docker.io/library'],
  allowedEgressDomains: ['*.github.com', 'pypi.org'],
  allowedHostPaths: ['/srv/shared'],
  budgets: { maxUsdPerRun: 5, maxUsdPerUserPerDay: 50, maxUsdPerNamespacePerDay: 500 },
  runs: { maxConcurrentPerNamespace: 20, maxConcurrentPerUser: 4 },
};
const NAMESPACE: PolicySpec = {
  sandboxes: { maxPerNamespace: 2, maxPerUser: 1 },
  resources: { maxCpu: '1', maxMemory: '2Gi', maxStorage: '5Gi' },
  maxTimeout: '2h',
  maxIdleTimeout: '10m',
  allowedTemplates: ['ClusterSandboxTemplate/*'],
  approvedImageRegistries: ['registry.internal'],
  allowedEgressDomains: ['api.anthropic.com'],
  allowedHostPaths: ['/data/team'],
  budgets: { maxUsdPerRun: 1, maxUsdPerUserPerDay: 10, maxUsdPerNamespacePerDay: 100 },
  runs: { maxConcurrentPerNamespace: 3, maxConcurrentPerUser: 1 },
};

/** Dotted paths of every field the schema declares, nested objects expanded. */
function schemaPaths(schema: z.ZodObject, prefix = ''): string[] {
  return Object.entries(schema.shape).flatMap(([key, field]) => {
    const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
    return inner instanceof z.ZodObject
      ? schemaPaths(inner, `${prefix}${key}.`)
      : [`${prefix}${key}`];
  });
}

/** Dotted paths of every leaf value that is set. */
function valuePaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, field]) =>
    typeof field === 'object' && field !== null && !Array.isArray(field)
      ? valuePaths(field, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

describe('effectivePolicy', () => {
  it('has fixtures that set every field of PolicySpec (so the tests below see new fields)', () => {
    const declared = schemaPaths(PolicySpec).sort();
    assert.ok(declared.includes('resources.maxCpu'));
    assert.deepEqual(valuePaths(CLUSTER).sort(), declared);
    assert.deepEqual(valuePaths(NAMESPACE).sort(), declared);
    assert.deepEqual(Object.keys(POLICY_MERGE_RULES).sort(), Object.keys(PolicySpec.shape).sort());
  });

  it('keeps every field from whichever side alone sets it', () => {
    assert.deepEqual(effectivePolicy(CLUSTER, undefined), CLUSTER);
    assert.deepEqual(effectivePolicy(CLUSTER, {}), CLUSTER);
    assert.deepEqual(effectivePolicy(undefined, NAMESPACE), NAMESPACE);
    assert.deepEqual(effectivePolicy({}, NAMESPACE), NAMESPACE);
  });

  it('lets the namespace win every field both sides set', () => {
    assert.deepEqual(effectivePolicy(CLUSTER, NAMESPACE), NAMESPACE);
    assert.deepEqual(effectivePolicy(NAMESPACE, CLUSTER), CLUSTER);
  });

  it('is empty when neither side sets anything', () => {
    assert.deepEqual(effectivePolicy(undefined, undefined), {});
    assert.deepEqual(effectivePolicy({}, {}), {});
  });

  it('merges nested objects per field', () => {
    const merged = effectivePolicy(CLUSTER, {
      resources: { maxCpu: '1' },
      budgets: { maxUsdPerRun: 2 },
      sandboxes: {},
    });
    assert.deepEqual(merged.resources, { maxCpu: '1', maxMemory: '8Gi', maxStorage: '50Gi' });
    assert.deepEqual(merged.budgets, {
      maxUsdPerRun: 2,
      maxUsdPerUserPerDay: 50,
      maxUsdPerNamespacePerDay: 500,
    });
    assert.deepEqual(merged.sandboxes, CLUSTER.sandboxes);
    assert.deepEqual(merged.runs, CLUSTER.runs);
    assert.equal(merged.maxTimeout, '24h');
  });

  it('merges every nested object per field, one overridden field at a time', () => {
    const nested = ['sandboxes', 'resources', 'budgets', 'runs'] as const;
    for (const key of nested) {
      for (const [field, value] of Object.entries(NAMESPACE[key] ?? {})) {
        const merged = effectivePolicy(CLUSTER, { [key]: { [field]: value } });
        assert.deepEqual(merged[key], { ...CLUSTER[key], [field]: value }, `${key}.${field}`);
        assert.notDeepEqual(merged[key], NAMESPACE[key], `${key}.${field}`);
      }
    }
  });

  it('replaces lists whole, an empty list included', () => {
    const merged = effectivePolicy(CLUSTER, {
      allowedTemplates: ['other'],
      allowedEgressDomains: [],
    });
    assert.deepEqual(merged.allowedTemplates, ['other']);
    assert.deepEqual(merged.allowedEgressDomains, []);
    assert.deepEqual(merged.approvedImageRegistries, CLUSTER.approvedImageRegistries);
  });

  it('lets a namespace relax a cluster cap it sets', () => {
    const merged = effectivePolicy(CLUSTER, { maxTimeout: '0', allowedTemplates: ['*'] });
    assert.equal(merged.maxTimeout, '0');
    assert.deepEqual(merged.allowedTemplates, ['*']);
  });

  it('shares no objects with its inputs', () => {
    const cluster = structuredClone(CLUSTER);
    const merged = effectivePolicy(cluster, undefined);
    merged.resources = { ...merged.resources, maxCpu: '99' };
    merged.allowedTemplates?.push('sneaky');
    if (merged.runs) merged.runs.maxConcurrentPerUser = 99;
    assert.deepEqual(cluster, CLUSTER);
  });

  it('is the identity with an empty other side, for any spec', () => {
    const optional = { requiredKeys: [] as [] };
    const count = fc.integer({ min: 0, max: 100 });
    const usd = fc.double({ min: 0.01, max: 1000, noNaN: true });
    const quantity = fc.constantFrom('500m', '2', '1Gi', '1024Mi', '10G');
    const duration = fc.constantFrom('0', '90s', '1h30m', '24h');
    const spec = fc.record(
      {
        sandboxes: fc.record({ maxPerNamespace: count, maxPerUser: count }, optional),
        resources: fc.record(
          { maxCpu: quantity, maxMemory: quantity, maxStorage: quantity },
          optional,
        ),
        maxTimeout: duration,
        maxIdleTimeout: duration,
        allowedTemplates: fc.array(fc.constantFrom('*', 'base', 'python-*')),
        approvedImageRegistries: fc.array(fc.constantFrom('ghcr.io/acme', 'docker.io/library')),
        allowedEgressDomains: fc.array(fc.constantFrom('example.com', '*.example.com')),
        budgets: fc.record(
          { maxUsdPerRun: usd, maxUsdPerUserPerDay: usd, maxUsdPerNamespacePerDay: usd },
          optional,
        ),
        runs: fc.record(
          { maxConcurrentPerNamespace: count, maxConcurrentPerUser: count },
          optional,
        ),
      },
      optional,
    );
    fc.assert(
      fc.property(spec, (raw) => {
        const x = PolicySpec.parse(raw);
        assert.deepEqual(effectivePolicy(x, {}), x);
        assert.deepEqual(effectivePolicy({}, x), x);
        assert.deepEqual(effectivePolicy(x, x), x);
      }),
      { numRuns: 300 },
    );
  });
});
