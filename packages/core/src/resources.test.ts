import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from './errors.ts';
import { KIND_NAMES, KINDS, kindForPlural, kindJsonSchema, parseResource } from './resources.ts';

const meta = { name: 'demo', namespace: 'default' };
const v = 'paddock.dev/v1alpha1';

const valid = {
  ClusterSandboxTemplate: {
    apiVersion: v,
    kind: 'ClusterSandboxTemplate',
    metadata: { name: 'base' },
    spec: {
      resources: { cpu: '500m', memory: '512Mi' },
      timeout: '1h',
      network: { egress: 'none' },
    },
  },
  SandboxTemplate: {
    apiVersion: v,
    kind: 'SandboxTemplate',
    metadata: meta,
    spec: {
      inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'base' },
      env: [{ name: 'LANG', value: 'C.UTF-8' }],
      ports: [{ name: 'web', port: 8080, protocol: 'http' }],
      overridable: ['env', 'timeout'],
      warmPool: { size: 2 },
    },
  },
  Sandbox: {
    apiVersion: v,
    kind: 'Sandbox',
    metadata: meta,
    spec: { templateRef: { name: 'python' } },
  },
  Agent: {
    apiVersion: v,
    kind: 'Agent',
    metadata: meta,
    spec: {
      harness: { kind: 'builtin' },
      model: 'claude-sonnet-4-5',
      budget: { maxUsd: 2, maxTurns: 30 },
    },
  },
  Run: {
    apiVersion: v,
    kind: 'Run',
    metadata: meta,
    spec: { agentRef: { name: 'coder' }, prompt: 'fix the tests' },
  },
  Policy: { apiVersion: v, kind: 'Policy', metadata: meta, spec: { maxTimeout: '2h' } },
  SandboxSnapshot: {
    apiVersion: v,
    kind: 'SandboxSnapshot',
    metadata: meta,
    spec: { sandboxRef: { name: 'web' }, retention: { ttl: '7d', keepLast: 3 } },
  },
  Volume: { apiVersion: v, kind: 'Volume', metadata: meta, spec: { size: '1Gi' } },
  ClusterPolicy: {
    apiVersion: v,
    kind: 'ClusterPolicy',
    metadata: { name: 'default' },
    spec: { resources: { maxCpu: '4' }, allowedEgressDomains: ['*.github.com'] },
  },
} as const;

function issuePaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(
      isPaddockError(error, 'validation_failed'),
      `expected validation_failed, got ${String(error)}`,
    );
    return (error.details.issues as Array<{ path: string }>).map((i) => i.path).sort();
  }
  assert.fail('expected a validation error');
}

describe('resource schemas', () => {
  it('accept a valid manifest of every kind', () => {
    assert.deepEqual(Object.keys(valid).sort(), [...KIND_NAMES].sort());
    for (const manifest of Object.values(valid)) {
      assert.equal(parseResource(manifest).kind, manifest.kind);
    }
  });

  it('apply defaults (a Sandbox wants to run; a Run is a task)', () => {
    const sandbox = parseResource(valid.Sandbox);
    assert.ok(sandbox.kind === 'Sandbox' && sandbox.spec.desiredState === 'Running');
    const run = parseResource(valid.Run);
    assert.ok(run.kind === 'Run' && run.spec.mode === 'task');
  });

  it('refuse a workspace size outside 16Mi..16Ti, naming the field, and accept one inside', () => {
    const template = (spec: object) => ({ ...valid.SandboxTemplate, spec });
    assert.deepEqual(
      issuePaths(() =>
        parseResource(template({ workspace: { size: '1Ki' }, resources: { storage: '17Ti' } })),
      ),
      ['spec.resources.storage', 'spec.workspace.size'],
    );
    assert.deepEqual(
      issuePaths(() => parseResource(template({ workspace: { size: 'big' } }))),
      ['spec.workspace.size'],
    );
    assert.equal(parseResource(template({ workspace: { size: '16Mi' } })).kind, 'SandboxTemplate');
  });

  it('name every invalid field at once', () => {
    const bad = {
      ...valid.SandboxTemplate,
      metadata: { name: 'Not_A_Name', namespace: 'default', labels: { 'bad key!': 'x' } },
      spec: {
        resources: { cpu: 'lots' },
        timeout: 'soon',
        env: [{ name: '1X', value: 'v' }],
        isolation: 'vm',
      },
    };
    assert.deepEqual(
      issuePaths(() => parseResource(bad)),
      [
        'metadata.labels.bad key!',
        'metadata.name',
        'spec.env[0].name',
        'spec.isolation',
        'spec.resources.cpu',
        'spec.timeout',
      ],
    );
  });

  it('reject unknown fields rather than dropping them', () => {
    assert.deepEqual(
      issuePaths(() =>
        parseResource({ ...valid.Sandbox, spec: { templateRef: { name: 'x' }, replicas: 3 } }),
      ),
      ['spec'],
    );
  });

  it('reject an unknown kind or apiVersion, naming it', () => {
    assert.throws(() => parseResource({ apiVersion: v, kind: 'Pod' }), /unknown kind "Pod"/);
    assert.deepEqual(
      issuePaths(() => parseResource({ ...valid.Sandbox, apiVersion: 'v1' })),
      ['apiVersion'],
    );
  });

  it('enforce cross-field rules: a Run names exactly one agent; a command harness needs a command', () => {
    assert.deepEqual(
      issuePaths(() => parseResource({ ...valid.Run, spec: { prompt: 'x' } })),
      ['spec.agentRef'],
    );
    assert.deepEqual(
      issuePaths(() => parseResource({ ...valid.Agent, spec: { harness: { kind: 'command' } } })),
      ['spec.harness.command'],
    );
  });

  it('export each kind as JSON Schema with the fields the CRDs need', () => {
    for (const kind of KIND_NAMES) {
      const schema = kindJsonSchema(kind) as {
        type: string;
        required: string[];
        properties: Record<string, { const?: string }>;
      };
      assert.equal(schema.type, 'object', kind);
      assert.ok(schema.required.includes('spec'), kind);
      assert.equal(schema.properties.kind?.const, kind);
      assert.equal(schema.properties.apiVersion?.const, v);
    }
    const template = JSON.stringify(kindJsonSchema('SandboxTemplate'));
    assert.match(template, /"pattern"/, 'quantities and durations keep their pattern');
  });

  it('map REST plurals to kinds', () => {
    assert.equal(kindForPlural('sandboxes'), 'Sandbox');
    assert.equal(kindForPlural('clustersandboxtemplates'), 'ClusterSandboxTemplate');
    assert.equal(kindForPlural('pods'), undefined);
    assert.equal(KINDS.ClusterPolicy.scope, 'Cluster');
  });
});
