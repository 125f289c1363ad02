import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  isPaddockError,
  KIND_NAMES,
  KINDS,
  type Kind,
  parseResource,
} from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { paddockCrds } from './crds.ts';
import { installCrds } from './install.ts';

// biome-ignore lint/suspicious/noExplicitAny: test manifests are edited freely, invalid on purpose
type Loose = Record<string, any>;

const NS = 'crd-test';
const at = '2026-03-01T12:00:00Z';

/** One realistic object of each kind, most optional fields set (checked by zod first). */
const VALID: Record<Kind, Record<string, unknown>> = {
  ClusterSandboxTemplate: {
    metadata: { name: 'python' },
    spec: {
      description: 'Python 3 with uv',
      image: 'ghcr.io/acme/python:3.13',
      command: ['sleep', 'infinity'],
      workingDir: '/workspace',
      env: [{ name: 'LANG', value: 'C.UTF-8' }],
      resources: { cpu: '500m', memory: '1Gi', storage: '2Gi', pids: 256 },
      timeout: '1h',
      idleTimeout: '15m',
      isolation: 'gvisor',
      network: { egress: 'allowlist', allowedDomains: ['pypi.org', '*.pythonhosted.org'] },
      workspace: { size: '2Gi' },
      mounts: [
        { name: 'gh', mountPath: '/home/user/.config/gh', credential: 'gh', readOnly: true },
      ],
      repos: [{ url: 'https://github.com/acme/app.git', ref: 'main', path: 'app' }],
      files: [{ path: '/workspace/.env', content: 'A=1\n', mode: '0600' }],
      init: [{ name: 'deps', command: ['uv', 'sync'], timeout: '5m' }],
      credentials: [{ name: 'anthropic', as: 'gateway' }],
      ports: [{ name: 'web', port: 8080, protocol: 'http' }],
      overridable: ['env', 'timeout', 'resources'],
      warmPool: { size: 2 },
    },
    status: { observedGeneration: 1, chain: ['python'], warmPool: { ready: 1, desired: 2 } },
  },
  SandboxTemplate: {
    metadata: { name: 'python-dev', namespace: NS },
    spec: {
      inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
      env: [{ name: 'DEBUG', value: '1' }],
    },
  },
  Sandbox: {
    metadata: { name: 'box', namespace: NS },
    spec: {
      templateRef: { name: 'python-dev' },
      overrides: { env: [{ name: 'X', value: 'y' }], timeout: '30m' },
      desiredState: 'Running',
      sharedWith: ['u-42'],
    },
    status: {
      phase: 'Running',
      observedGeneration: 1,
      conditions: [
        {
          type: 'Admitted',
          status: 'True',
          reason: 'Admitted',
          message: 'ok',
          lastTransitionTime: at,
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'running',
          lastTransitionTime: at,
        },
      ],
      reason: 'Ready',
      message: 'running',
      resolved: { image: 'ghcr.io/acme/python:3.13', isolation: 'gvisor' },
      origins: { image: 'ClusterSandboxTemplate/python' },
      startupDurationMs: 412.5,
      startedAt: at,
      expiresAt: '2026-03-01T13:00:00+01:00',
      ports: [{ name: 'web', port: 8080, protocol: 'http', previewPath: '/preview/8080/' }],
      fromWarmPool: true,
      limits: 'kubernetes',
      runtime: { name: 'kubernetes', id: 'crd-test/box' },
    },
  },
  Agent: {
    metadata: { name: 'coder', namespace: NS },
    spec: {
      harness: { kind: 'claude-code', command: ['--verbose'] },
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      systemPrompt: 'Be brief.',
      tools: ['shell', 'read'],
      mcpServers: [
        {
          name: 'fs',
          transport: 'stdio',
          command: ['mcp-fs'],
          env: [{ name: 'ROOT', value: '/' }],
        },
        { name: 'docs', transport: 'http', url: 'https://mcp.example.com/mcp' },
      ],
      budget: { maxUsd: 2.5, maxTurns: 40, maxTokens: 200000, timeout: '20m' },
      templateRef: { kind: 'ClusterSandboxTemplate', name: 'python' },
      quota: { cpu: '4', memory: '8Gi', pods: 10 },
    },
    status: { observedGeneration: 1, runs: 3, lastRunAt: at },
  },
  Run: {
    metadata: { name: 'fix-bug', namespace: NS },
    spec: { agentRef: { name: 'coder' }, prompt: 'Fix the failing test', mode: 'task' },
    status: {
      phase: 'Succeeded',
      conditions: [
        {
          type: 'Finished',
          status: 'True',
          reason: 'Succeeded',
          message: 'done',
          lastTransitionTime: at,
        },
      ],
      sandboxName: 'box',
      startedAt: at,
      completedAt: at,
      usage: { inputTokens: 1200, outputTokens: 300, costUsd: 0.0123, turns: 4, toolCalls: 7 },
      result: { text: 'Fixed.', exitCode: 0 },
    },
  },
  Policy: {
    metadata: { name: 'default', namespace: NS },
    spec: {
      sandboxes: { maxPerNamespace: 20, maxPerUser: 5 },
      resources: { maxCpu: '4', maxMemory: '8Gi', maxStorage: '20Gi' },
      maxTimeout: '8h',
      allowedTemplates: ['*'],
      budgets: { maxUsdPerRun: 5 },
      runs: { maxConcurrentPerNamespace: 10 },
    },
  },
  ClusterPolicy: {
    metadata: { name: 'default' },
    spec: {
      approvedImageRegistries: ['ghcr.io/acme'],
      allowedHostPaths: ['/srv/data'],
      allowedEgressDomains: ['*.github.com'],
      budgets: { maxUsdPerUserPerDay: 50, maxUsdPerNamespacePerDay: 200 },
    },
  },
  SandboxSnapshot: {
    metadata: { name: 'before-refactor', namespace: NS },
    spec: { sandboxRef: { name: 'web' }, retention: { ttl: '7d', keepLast: 3 } },
    status: {
      phase: 'Ready',
      conditions: [],
      sizeBytes: 4096,
      contents: ['workspace'],
      consistency: 'frozen',
      createdAt: at,
      source: { uid: 'u-1', templateRef: { name: 'python' }, runtime: 'local' },
    },
  },
  Volume: {
    metadata: { name: 'cache', namespace: NS },
    spec: { size: '1Gi' },
    status: { phase: 'Available', conditions: [], usedBytes: 0, mountedBy: ['web'] },
  },
};

function manifest(kind: Kind, overrides: (object: Loose) => void = () => {}) {
  const object = structuredClone({ apiVersion: API_VERSION, kind, ...VALID[kind] });
  overrides(object);
  return object as Loose;
}

function collection(kind: Kind, namespace: string | undefined): string {
  const { plural, scope } = KINDS[kind];
  return scope === 'Namespaced'
    ? `/apis/paddock.dev/v1alpha1/namespaces/${namespace}/${plural}`
    : `/apis/paddock.dev/v1alpha1/${plural}`;
}

describe('the CRDs on a real API server', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCrds(client, paddockCrds());
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  /** Creates `object` (and writes its status, when it has one) with strict field validation. */
  async function create(object: Loose): Promise<Loose> {
    const path = collection(object.kind, object.metadata.namespace);
    const query = { fieldValidation: 'Strict' };
    const created = await client.request('POST', path, { body: object, query });
    if (object.status === undefined) return created;
    return client.request('PUT', `${path}/${object.metadata.name}/status`, {
      body: { ...created, status: object.status },
      query,
    });
  }

  /** `object` is refused by zod and by the API server (422), both naming `field`. */
  async function assertRejected(object: Loose, field: string): Promise<void> {
    assert.throws(
      () => parseResource(object),
      (error) => isPaddockError(error, 'validation_failed'),
      'zod accepts it',
    );
    object.metadata.name = `bad-${Math.random().toString(16).slice(2, 8)}`;
    await assert.rejects(create(object), (error: unknown) => {
      assert.ok(isPaddockError(error, 'validation_failed'), String(error));
      assert.equal(error.details?.status, 422, error.message);
      const paths = (error.details?.issues as Array<{ path: string }>).map((i) => i.path);
      assert.ok(
        paths.includes(field),
        `${field} not in ${JSON.stringify(paths)}: ${error.message}`,
      );
      return true;
    });
  }

  it('installs every CRD: Established, names accepted with short names and category', async () => {
    for (const crd of paddockCrds()) {
      const current = await client.request<{
        status: {
          conditions: Array<{ type: string; status: string }>;
          acceptedNames: { shortNames?: string[]; categories?: string[] };
        };
      }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      const conditions = Object.fromEntries(
        current.status.conditions.map((c) => [c.type, c.status]),
      );
      assert.equal(conditions.Established, 'True', crd.metadata.name);
      assert.equal(conditions.NamesAccepted, 'True', crd.metadata.name);
      assert.deepEqual(current.status.acceptedNames.categories, ['paddock']);
      const kind = (crd.spec.names as { kind: Kind }).kind;
      assert.deepEqual(current.status.acceptedNames.shortNames ?? [], [...KINDS[kind].shortNames]);
    }
  });

  for (const kind of KIND_NAMES) {
    it(`accepts a valid ${kind}, status included, under strict field validation`, async () => {
      const object = manifest(kind);
      parseResource(object);
      const stored = await create(object);
      assert.deepEqual(stored.spec, parseResource(object).spec);
      if (object.status !== undefined) assert.deepEqual(stored.status, object.status);
    });
  }

  it('defaults what zod defaults', async () => {
    const object = manifest('Sandbox', (o) => {
      o.metadata.name = 'defaulted';
      delete o.spec.desiredState;
      delete o.status;
    });
    const stored = await create(object);
    assert.equal(stored.spec.desiredState, 'Running');
  });

  it('refuses a value outside an enum', async () => {
    await assertRejected(
      manifest('Sandbox', (o) => {
        o.spec.desiredState = 'Sleeping';
        delete o.status;
      }),
      'spec.desiredState',
    );
  });

  it('refuses a pattern violation', async () => {
    await assertRejected(
      manifest('SandboxTemplate', (o) => {
        o.spec.env = [{ name: '1-BAD', value: 'x' }];
      }),
      'spec.env[0].name',
    );
  });

  it('refuses numbers out of range, integers included', async () => {
    await assertRejected(
      manifest('ClusterSandboxTemplate', (o) => {
        o.spec.ports[0].port = 70000;
        delete o.status;
      }),
      'spec.ports[0].port',
    );
    await assertRejected(
      manifest('Agent', (o) => {
        o.spec.budget.maxUsd = 0;
        delete o.status;
      }),
      'spec.budget.maxUsd',
    );
  });

  it('refuses a missing required field', async () => {
    await assertRejected(
      manifest('Run', (o) => {
        delete o.spec.prompt;
        delete o.status;
      }),
      'spec.prompt',
    );
  });

  it('refuses what the CEL rules restate of zod refinements', async () => {
    await assertRejected(
      manifest('Run', (o) => {
        o.spec.agent = { harness: { kind: 'builtin' } };
        delete o.status;
      }),
      'spec.agentRef',
    );
    await assertRejected(
      manifest('Agent', (o) => {
        o.spec.harness = { kind: 'command' };
        delete o.status;
      }),
      'spec.harness.command',
    );
    await assertRejected(
      manifest('SandboxTemplate', (o) => {
        o.spec.mounts = [{ name: 'm', mountPath: '/mnt/data' }];
      }),
      'spec.mounts[0]',
    );
  });

  it('refuses a branch of a discriminated union with the other branch’s field', async () => {
    // The API server reports a failed oneOf without a field path (`<nil>`): the field is in the
    // message alone.
    const object = manifest('Agent', (o) => {
      o.metadata.name = 'mixed-union';
      o.spec.mcpServers = [
        { name: 'x', transport: 'http', url: 'https://a.example', command: ['a'] },
      ];
      delete o.status;
    });
    assert.throws(
      () => parseResource(object),
      (error) => isPaddockError(error, 'validation_failed'),
    );
    await assert.rejects(create(object), (error: unknown) => {
      assert.ok(isPaddockError(error, 'validation_failed'), String(error));
      assert.equal(error.details?.status, 422);
      assert.match(error.message, /"spec\.mcpServers\[0\]" must validate one and only one schema/);
      return true;
    });
  });

  it('refuses unknown fields under strict field validation', async () => {
    const object = manifest('Policy', (o) => {
      o.metadata.name = 'unknown-field';
      o.spec.maxSandboxes = 3;
    });
    await assert.rejects(create(object), (error: unknown) => {
      assert.ok(isPaddockError(error, 'validation_failed'));
      assert.match(error.message, /unknown field "spec\.maxSandboxes"/);
      return true;
    });
  });

  it('lists sandboxes as a Table with the printer columns', async () => {
    const table = await getTable(server.kubeconfig, `${collection('Sandbox', NS)}/box`);
    const names = table.columnDefinitions.map((column) => column.name);
    assert.deepEqual(names, ['Name', ...KINDS.Sandbox.printerColumns.map((column) => column.name)]);
    const row = Object.fromEntries(names.map((name, i) => [name, table.rows[0]?.cells[i]]));
    assert.equal(row.Name, 'box');
    assert.equal(row.Phase, 'Running');
    assert.equal(row.Ready, 'True');
    assert.equal(row.Template, 'python-dev');
    assert.equal(row.Desired, 'Running');
    assert.equal(row.Isolation, 'gvisor');
  });

  it('shows each kind’s printer columns in its Table', async () => {
    for (const kind of KIND_NAMES) {
      const namespace = KINDS[kind].scope === 'Namespaced' ? NS : undefined;
      const table = await getTable(server.kubeconfig, collection(kind, namespace));
      assert.deepEqual(
        table.columnDefinitions.map((column) => column.name),
        ['Name', ...KINDS[kind].printerColumns.map((column) => column.name)],
        kind,
      );
    }
    const runs = await getTable(server.kubeconfig, `${collection('Run', NS)}/fix-bug`);
    assert.deepEqual(runs.rows[0]?.cells.slice(0, 4), ['fix-bug', 'Succeeded', 'coder', 'box']);
  });
});

type Table = {
  columnDefinitions: Array<{ name: string }>;
  rows: Array<{ cells: unknown[] }>;
};

/** GETs `path` as a `meta.k8s.io/v1` Table, as kubectl asks (KubeClient asks for JSON only). */
async function getTable(kubeconfig: string, path: string): Promise<Table> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const options: { headers?: Record<string, string> } & Record<string, unknown> = {};
  await config.applyToHTTPSOptions(options);
  const url = `${config.getCurrentCluster()?.server}${path}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ...options,
        headers: { ...options.headers, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          if (response.statusCode !== 200)
            reject(new Error(`HTTP ${response.statusCode}: ${body}`));
          else resolve(JSON.parse(body) as Table);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
