import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bwrapSkipReason } from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';
import { toolErrorOf } from './tool.ts';

type Outcome = {
  isError: boolean;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: structured content is checked field by field
  data: any;
};

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Outcome> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as Array<{ text?: string }>;
  return {
    isError: result.isError === true,
    text: content.map((c) => c.text ?? '').join(''),
    data: result.isError ? { error: toolErrorOf(result) } : result.structuredContent,
  };
}

function ok(outcome: Outcome) {
  assert.equal(outcome.isError, false, outcome.text);
  return outcome.data;
}

describe('template tools through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: McpWorld;
  let alice: Client;
  before(async () => {
    w = await startMcpWorld();
    alice = await w.connect(w.alice);
    const templates = w.api(w.admin).resources('SandboxTemplate');
    await templates.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'SandboxTemplate',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        description: 'python serving on 8080',
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
        env: [{ name: 'PORT', value: '8080' }],
        ports: [{ name: 'web', port: 8080, protocol: 'http' }],
      },
    });
    // Shadows the cluster's python in this namespace.
    await templates.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'SandboxTemplate',
      metadata: { name: 'python', namespace: 'default' },
      spec: { description: 'our own python', timeout: '1h' },
    });
  });
  after(() => w.close());

  it('declares every template tool read-only and idempotent, with an output schema', async () => {
    const { tools } = await (await w.connect(w.alice)).listTools();
    const mine = tools.filter((t) => t.name.startsWith('template_'));
    assert.deepEqual(mine.map((t) => t.name).sort(), [
      'template_get',
      'template_list',
      'template_resolve',
    ]);
    for (const tool of mine) {
      assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
      assert.equal(tool.annotations?.destructiveHint, false, tool.name);
      assert.equal(tool.annotations?.idempotentHint, true, tool.name);
      assert.ok(tool.outputSchema, tool.name);
    }
  });

  it("lists the cluster's templates and the namespace's, or either", async () => {
    const all = ok(await call(alice, 'template_list', {}));
    const ids = all.items.map((t: { kind: string; name: string }) => `${t.kind}/${t.name}`);
    for (const id of [
      'ClusterSandboxTemplate/shell',
      'ClusterSandboxTemplate/python',
      'SandboxTemplate/web',
      'SandboxTemplate/python',
    ]) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    }
    const web = all.items.find((t: { name: string }) => t.name === 'web');
    assert.deepEqual(web, {
      kind: 'SandboxTemplate',
      name: 'web',
      namespace: 'default',
      description: 'python serving on 8080',
      inheritsFrom: 'ClusterSandboxTemplate/python',
      overridable: [],
      ports: ['web:8080/http'],
    });
    const shell = all.items.find((t: { name: string }) => t.name === 'shell');
    assert.ok(shell.overridable.includes('env'));
    assert.equal(shell.namespace, undefined);

    const cluster = ok(await call(alice, 'template_list', { scope: 'cluster' }));
    assert.ok(cluster.items.every((t: { kind: string }) => t.kind === 'ClusterSandboxTemplate'));
    const namespaced = ok(await call(alice, 'template_list', { scope: 'namespace' }));
    assert.deepEqual(namespaced.items.map((t: { name: string }) => t.name).sort(), [
      'python',
      'web',
    ]);
  });

  it("gets a template as written; the namespace's shadows the cluster's unless a kind is given", async () => {
    const own = ok(await call(alice, 'template_get', { name: 'python' }));
    assert.equal(own.kind, 'SandboxTemplate');
    assert.equal(own.description, 'our own python');
    assert.equal(own.spec.timeout, '1h');
    const cluster = ok(
      await call(alice, 'template_get', { name: 'python', kind: 'ClusterSandboxTemplate' }),
    );
    assert.equal(cluster.kind, 'ClusterSandboxTemplate');
    assert.equal(cluster.inheritsFrom, 'ClusterSandboxTemplate/shell');
    assert.deepEqual(cluster.spec.env, [
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
    ]);
    // As written: the parent's fields are not in it.
    assert.equal(cluster.spec.workingDir, undefined);
    const shell = ok(await call(alice, 'template_get', { name: 'shell' }));
    assert.equal(shell.kind, 'ClusterSandboxTemplate');
  });

  it('resolves through inheritance, telling which template set each field', async () => {
    const web = ok(await call(alice, 'template_resolve', { name: 'web' }));
    assert.deepEqual(web.template, { kind: 'SandboxTemplate', name: 'web', namespace: 'default' });
    assert.deepEqual(web.chain, [
      'ClusterSandboxTemplate/shell',
      'ClusterSandboxTemplate/python',
      'SandboxTemplate/web',
    ]);
    assert.equal(web.spec.workingDir, '/workspace');
    assert.equal(web.origins.workingDir, 'ClusterSandboxTemplate/shell');
    assert.equal(web.spec.resources.memory, '1Gi');
    assert.equal(web.origins['resources.memory'], 'ClusterSandboxTemplate/python');
    assert.deepEqual(
      web.spec.env.map((e: { name: string }) => e.name),
      ['PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'PORT'],
    );
    assert.equal(web.origins['env.PORT'], 'SandboxTemplate/web');
    assert.ok(web.overridable.includes('env'), 'inherited from shell');

    const cluster = ok(
      await call(alice, 'template_resolve', { name: 'python', kind: 'ClusterSandboxTemplate' }),
    );
    assert.equal(cluster.template.namespace, undefined);
    assert.deepEqual(cluster.chain, [
      'ClusterSandboxTemplate/shell',
      'ClusterSandboxTemplate/python',
    ]);
  });

  it('answers a template that does not exist as a tool error carrying the code', async () => {
    for (const [tool, code] of [
      ['template_get', 'not_found'],
      ['template_resolve', 'template_not_found'],
    ]) {
      const missing = await call(alice, tool ?? '', { name: 'no-such-template' });
      assert.equal(missing.isError, true, tool);
      assert.equal(missing.data.error.code, code, tool);
      assert.match(missing.text, new RegExp(`^${code}: .*no-such-template`), tool);
    }
  });
});
