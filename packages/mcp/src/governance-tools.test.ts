// Governance and system tools through the MCP SDK client, against a real `paddock up`: each
// answers what the REST API answers the caller, nothing more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bwrapSkipReason } from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';

type ToolResult = Awaited<ReturnType<Client['callTool']>>;

function ok<T>(result: ToolResult): T {
  assert.notEqual(result.isError, true, JSON.stringify(result.content));
  return result.structuredContent as T;
}

const text = (result: ToolResult) =>
  (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');

type AuditItem = { actor: string; action: string; target: string; result: string };

describe('governance and system tools through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const SECRET = 'alices-secret-value-never-shown';
  let w: McpWorld;
  let admin: Client;
  let alice: Client;
  let bob: Client;
  before(async () => {
    w = await startMcpWorld();
    admin = await w.connect(w.admin);
    alice = await w.connect(w.alice);
    bob = await w.connect(w.bob);
    const api = w.api(w.admin);
    await api.resources('ClusterPolicy').create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { sandboxes: { maxPerUser: 3 }, maxTimeout: '2h' },
    });
    await api.resources('Policy').create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'default' },
      spec: { maxTimeout: '30m', runs: { maxConcurrentPerUser: 2 } },
    });
    await w.api(w.alice).credentials.create({ name: 'alices-token', type: 'env', value: SECRET });
  });
  after(() => w.close());

  it('whoami tells the caller, role and auth method', async () => {
    const me = ok<{ id: string; role: string; authMethod: string; namespace: string }>(
      await alice.callTool({ name: 'whoami', arguments: {} }),
    );
    assert.deepEqual(
      { id: me.id, role: me.role, authMethod: me.authMethod, namespace: me.namespace },
      { id: 'alice', role: 'user', authMethod: 'apikey', namespace: 'default' },
    );
    const root = ok<{ role: string }>(await admin.callTool({ name: 'whoami', arguments: {} }));
    assert.equal(root.role, 'admin');
  });

  it('policy_effective merges the cluster default with the namespace override, with sources', async () => {
    const policy = ok<{
      namespace: string;
      limits: { maxTimeout?: string; sandboxes?: { maxPerUser?: number }; runs?: unknown };
      sources: Record<string, string>;
      usage: { userSandboxes: number };
    }>(await alice.callTool({ name: 'policy_effective', arguments: {} }));
    assert.equal(policy.namespace, 'default');
    assert.equal(policy.limits.maxTimeout, '30m');
    assert.equal(policy.limits.sandboxes?.maxPerUser, 3);
    assert.deepEqual(policy.limits.runs, { maxConcurrentPerUser: 2 });
    assert.equal(policy.sources.maxTimeout, 'Policy/default');
    assert.equal(policy.sources['sandboxes.maxPerUser'], 'ClusterPolicy/default');
    assert.equal(policy.usage.userSandboxes, 0);

    const elsewhere = ok<{ limits: { maxTimeout?: string } }>(
      await alice.callTool({ name: 'policy_effective', arguments: { namespace: 'other' } }),
    );
    assert.equal(elsewhere.limits.maxTimeout, '2h', 'no override there');
  });

  it('credential_list gives names and kinds, never values, and only the caller’s own', async () => {
    const mine = await alice.callTool({ name: 'credential_list', arguments: {} });
    const items = ok<{ items: Array<{ name: string; type: string; owner: string }> }>(mine).items;
    assert.deepEqual(
      items.map((c) => [c.name, c.type]),
      [['alices-token', 'env']],
    );
    assert.ok(!JSON.stringify(mine).includes(SECRET), 'the value is nowhere in the answer');
    const theirs = ok<{ items: unknown[] }>(
      await bob.callTool({ name: 'credential_list', arguments: {} }),
    );
    assert.deepEqual(theirs.items, []);
    const all = ok<{ items: Array<{ name: string }> }>(
      await admin.callTool({ name: 'credential_list', arguments: {} }),
    );
    assert.ok(all.items.some((c) => c.name === 'alices-token'));
  });

  it('audit_query shows users their own records and admins everyone’s, with filters', async () => {
    // Bob's refused read of Alice's credential leaves a record of his own.
    await w
      .api(w.bob)
      .credentials.get('alices-token')
      .catch(() => {});
    const aliceSees = ok<{ items: AuditItem[] }>(
      await alice.callTool({ name: 'audit_query', arguments: { action: 'credential.create' } }),
    );
    assert.ok(aliceSees.items.length >= 1, JSON.stringify(aliceSees));
    assert.ok(aliceSees.items.every((r) => r.action === 'credential.create'));
    assert.ok(aliceSees.items.every((r) => r.actor.includes('alice')));

    const bobSees = ok<{ items: AuditItem[] }>(
      await bob.callTool({ name: 'audit_query', arguments: {} }),
    );
    assert.ok(
      bobSees.items.every((r) => !r.actor.includes('alice')),
      'no record of another user',
    );

    const adminSees = ok<{ items: AuditItem[] }>(
      await admin.callTool({
        name: 'audit_query',
        arguments: { action: 'credential.create', limit: 10 },
      }),
    );
    assert.ok(adminSees.items.some((r) => r.actor.includes('alice')));

    const bad = await alice.callTool({ name: 'audit_query', arguments: { since: 'yesterday' } });
    assert.equal(bad.isError, true, 'a bad timestamp is refused');
  });

  it('usage reports totals over a window, grouped when asked (spend: run-tools.test.ts)', async () => {
    type Report = {
      since: string;
      until: string;
      total: { runs: number; costUsd: number; calls: number };
      groups?: Array<{ key: string }>;
      days: Array<{ day: string; stack?: unknown[] }>;
      budgets: unknown[];
    };
    const report = ok<Report>(
      await admin.callTool({ name: 'usage', arguments: { groupBy: 'user' } }),
    );
    assert.ok(Date.parse(report.since) <= Date.now());
    assert.ok(Date.parse(report.until) > Date.parse(report.since));
    assert.equal(report.total.runs, 0);
    assert.equal(report.total.calls, 0);
    assert.ok(Array.isArray(report.groups));
    assert.deepEqual(
      report.days.map((d) => d.day),
      [report.since.slice(0, 10)],
    );
    assert.ok(Array.isArray(report.budgets));

    const window = ok<{ since: string; until: string }>(
      await alice.callTool({
        name: 'usage',
        arguments: { since: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z' },
      }),
    );
    assert.deepEqual(
      [window.since, window.until],
      ['2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z'],
    );
    const bad = await alice.callTool({ name: 'usage', arguments: { groupBy: 'color' } });
    assert.equal(bad.isError, true, text(bad));
  });

  it('doctor reports health, readiness checks, the api version and the limits in force', async () => {
    const report = ok<{
      isHealthy: boolean;
      isReady: boolean;
      checks: Record<string, { ok: boolean }>;
      apiVersion?: string;
      authMethods?: string[];
      limits?: { maxTimeout?: string };
      problems: string[];
    }>(await alice.callTool({ name: 'doctor', arguments: {} }));
    assert.equal(report.isHealthy, true);
    assert.equal(report.isReady, true);
    assert.deepEqual(Object.keys(report.checks).sort(), ['auditLog', 'runtime', 'store']);
    assert.ok(Object.values(report.checks).every((c) => c.ok));
    assert.equal(report.apiVersion, 'paddock.dev/v1alpha1');
    assert.deepEqual(report.authMethods, ['apikey']);
    assert.equal(report.limits?.maxTimeout, '30m');
    assert.deepEqual(report.problems, []);
  });
});
