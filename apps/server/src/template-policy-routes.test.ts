// Template resolution, the effective policy and the policy dry run over raw HTTP against a real server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API, startTestServer, type TestServer } from './test-server.ts';
import { type AuthWorld, startAuthWorld } from './ws/test-users.ts';

type ErrorBody = { error: { code: string; details: Record<string, unknown> } };

describe('template and policy routes', () => {
  let s: TestServer;
  const post = (path: string, body: unknown) =>
    s.call(path, { method: 'POST', body: JSON.stringify(body) });
  const getJson = async <T>(path: string, status = 200): Promise<T> => {
    const res = await s.call(path);
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };

  before(async () => {
    s = await startTestServer();
    const created = await Promise.all([
      post('/api/v1/clustersandboxtemplates', {
        apiVersion: API,
        kind: 'ClusterSandboxTemplate',
        metadata: { name: 'org-base' },
        spec: {
          env: [{ name: 'A', value: 'from-base' }],
          resources: { cpu: '1', memory: '256Mi' },
          timeout: '1h',
          overridable: ['env'],
        },
      }),
      post('/api/v1/namespaces/team/sandboxtemplates', {
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'child' },
        spec: {
          inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'org-base' },
          env: [{ name: 'B', value: 'from-child' }],
          resources: { cpu: '500m' },
        },
      }),
      post('/api/v1/namespaces/team/sandboxtemplates', {
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'loop-a' },
        spec: { inheritsFrom: { name: 'loop-b' } },
      }),
      post('/api/v1/namespaces/team/sandboxtemplates', {
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'loop-b' },
        spec: { inheritsFrom: { name: 'loop-a' } },
      }),
      post('/api/v1/clusterpolicies', {
        apiVersion: API,
        kind: 'ClusterPolicy',
        metadata: { name: 'default' },
        spec: { resources: { maxCpu: '2', maxMemory: '1Gi' }, maxTimeout: '2h' },
      }),
      post('/api/v1/namespaces/team/policies', {
        apiVersion: API,
        kind: 'Policy',
        metadata: { name: 'default' },
        spec: { resources: { maxCpu: '250m' }, sandboxes: { maxPerNamespace: 3 } },
      }),
    ]);
    for (const res of created) assert.equal(res.status, 201, await res.text());
  });
  after(() => s.close());

  it('resolves a namespaced template with the provenance of every field and its chain', async () => {
    const resolved = await getJson<{
      kind: string;
      spec: { env: unknown[]; resources: unknown; timeout: string };
      origins: Record<string, string>;
      chain: string[];
      overridable: string[];
    }>('/api/v1/namespaces/team/sandboxtemplates/child/resolved');
    assert.equal(resolved.kind, 'ResolvedTemplate');
    assert.deepEqual(resolved.spec.env, [
      { name: 'A', value: 'from-base' },
      { name: 'B', value: 'from-child' },
    ]);
    assert.deepEqual(resolved.spec.resources, { cpu: '500m', memory: '256Mi' });
    assert.equal(resolved.origins['resources.cpu'], 'SandboxTemplate/child');
    assert.equal(resolved.origins['resources.memory'], 'ClusterSandboxTemplate/org-base');
    assert.equal(resolved.origins['env.A'], 'ClusterSandboxTemplate/org-base');
    assert.equal(resolved.origins['env.B'], 'SandboxTemplate/child');
    assert.equal(resolved.origins.timeout, 'ClusterSandboxTemplate/org-base');
    assert.deepEqual(resolved.chain, ['ClusterSandboxTemplate/org-base', 'SandboxTemplate/child']);
    assert.deepEqual(resolved.overridable, ['env']);
  });

  it('resolves a cluster template', async () => {
    const resolved = await getJson<{ template: unknown; chain: string[] }>(
      '/api/v1/clustersandboxtemplates/org-base/resolved',
    );
    assert.deepEqual(resolved.template, { kind: 'ClusterSandboxTemplate', name: 'org-base' });
    assert.deepEqual(resolved.chain, ['ClusterSandboxTemplate/org-base']);
  });

  it('answers template_not_found and template_invalid with core details', async () => {
    const missing = await getJson<ErrorBody>(
      '/api/v1/namespaces/other/sandboxtemplates/child/resolved',
      404,
    );
    assert.equal(missing.error.code, 'template_not_found');
    assert.equal(missing.error.details.template, 'SandboxTemplate/child');
    const res = await s.call('/api/v1/namespaces/team/sandboxtemplates/loop-a/resolved');
    const cycle = (await res.json()) as ErrorBody;
    assert.equal(cycle.error.code, 'template_invalid');
    assert.notEqual(res.status, 200);
    assert.deepEqual(cycle.error.details.cycle, [
      'SandboxTemplate/loop-a',
      'SandboxTemplate/loop-b',
      'SandboxTemplate/loop-a',
    ]);
  });

  it('merges the cluster default with the namespace override and says where each field came from', async () => {
    const team = await getJson<{
      spec: Record<string, unknown>;
      sources: Record<string, string>;
      usage: Record<string, number>;
    }>('/api/v1/namespaces/team/policy/effective');
    assert.deepEqual(team.spec, {
      resources: { maxCpu: '250m', maxMemory: '1Gi' },
      maxTimeout: '2h',
      sandboxes: { maxPerNamespace: 3 },
    });
    assert.deepEqual(team.sources, {
      'resources.maxCpu': 'Policy/default',
      'resources.maxMemory': 'ClusterPolicy/default',
      maxTimeout: 'ClusterPolicy/default',
      'sandboxes.maxPerNamespace': 'Policy/default',
    });
    assert.deepEqual(team.usage, {
      namespaceSandboxes: 0,
      userSandboxes: 0,
      namespaceSpentTodayUsd: 0,
      userSpentTodayUsd: 0,
    });
    const other = await getJson<{ spec: Record<string, unknown> }>(
      '/api/v1/namespaces/other/policy/effective',
    );
    assert.deepEqual(other.spec, {
      resources: { maxCpu: '2', maxMemory: '1Gi' },
      maxTimeout: '2h',
    });
  });

  it('checks a Sandbox against the policy without creating it', async () => {
    const sandbox = {
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'dry' },
      spec: { templateRef: { name: 'child' }, overrides: { timeout: '10m' } },
    };
    const refused = await post('/api/v1/namespaces/team/policy/check', sandbox);
    const verdict = (await refused.json()) as {
      admitted: boolean;
      violations: Array<{ code: string; field: string }>;
    };
    assert.equal(refused.status, 200);
    assert.equal(verdict.admitted, false);
    assert.deepEqual(verdict.violations.map((v) => v.code).sort(), [
      'cpu_limit_exceeded',
      'override_not_allowed',
    ]);
    const stored = await s.call('/api/v1/namespaces/team/sandboxes/dry');
    assert.equal(stored.status, 404, 'a dry run stores nothing');

    const allowed = await post('/api/v1/namespaces/other/policy/check', {
      ...sandbox,
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'org-base' } },
    });
    const ok = (await allowed.json()) as { admitted: boolean; spec: { timeout: string } };
    assert.equal(ok.admitted, true);
    assert.equal(ok.spec.timeout, '1h');

    const missing = await post('/api/v1/namespaces/other/policy/check', sandbox);
    assert.equal(((await missing.json()) as ErrorBody).error.code, 'template_not_found');
  });
});

describe('effective policy usage on the real runtime', { skip: bwrapSkipReason() }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('counts the sandboxes held in the namespace and by the caller', async () => {
    const res = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'held' },
        spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
      }),
    });
    assert.equal(res.status, 201, await res.text());
    const usage = await eventually(
      async () => {
        const body = (await (
          await s.call('/api/v1/namespaces/default/policy/effective')
        ).json()) as {
          usage: { namespaceSandboxes: number; userSandboxes: number };
        };
        return body.usage.namespaceSandboxes > 0 ? body.usage : undefined;
      },
      { timeoutMs: 60_000, what: 'the sandbox counted in the usage' },
    );
    assert.deepEqual(usage, { namespaceSandboxes: 1, userSandboxes: 1, ...zeroSpend });
  });
});

const zeroSpend = { namespaceSpentTodayUsd: 0, userSpentTodayUsd: 0 };

describe("effective policy spend: what the daily budgets count, others' runs as a sum only", () => {
  let w: AuthWorld;
  before(async () => {
    w = await startAuthWorld();
    // Calls as the gateway records them (its ledger in the server's database).
    const ledger = await openSqliteUsageLedger({ path: join(w.s.home, 'paddock.db') });
    const call = (user: string, namespace: string, runName: string, costUsd: number) =>
      ledger.record({
        runUid: `uid-${runName}`,
        namespace,
        runName,
        user,
        at: new Date().toISOString(),
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        status: 200,
        isStream: false,
        inputTokens: 10,
        outputTokens: 10,
        costUsd,
        latencyMs: 5,
      });
    try {
      await call('alice', 'default', 'alice-secret-run', 1.25);
      await call('bob', 'default', 'bob-run', 0.5);
      await call('alice', 'team', 'alice-team-run', 2);
    } finally {
      await ledger.close();
    }
  });
  after(() => w.s.close());

  it("shows bob the namespace's spend of every user, as run admission counts it", async () => {
    const res = await w.s.call('/api/v1/namespaces/default/policy/effective', { token: w.bob });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const { usage } = JSON.parse(text) as {
      usage: { namespaceSpentTodayUsd: number; userSpentTodayUsd: number };
    };
    assert.equal(usage.namespaceSpentTodayUsd, 1.75, "alice's spend in default counts");
    assert.equal(usage.userSpentTodayUsd, 0.5);
    const enforced = await w.s.engine.spentToday({ user: 'bob', namespace: 'default' });
    assert.deepEqual(
      { namespace: usage.namespaceSpentTodayUsd, user: usage.userSpentTodayUsd },
      { namespace: enforced.namespaceSpentTodayUsd, user: enforced.userSpentTodayUsd },
    );
    assert.doesNotMatch(text, /alice/, 'nothing of her runs but the sum');
  });

  it("shows alice her own spend in every namespace, as the user's daily budget counts it", async () => {
    const res = await w.s.call('/api/v1/namespaces/default/policy/effective', { token: w.alice });
    const { usage } = (await res.json()) as {
      usage: { namespaceSpentTodayUsd: number; userSpentTodayUsd: number };
    };
    assert.equal(usage.namespaceSpentTodayUsd, 1.75);
    assert.equal(usage.userSpentTodayUsd, 3.25);
  });
});
