// MCP at /mcp acts as its caller: bob's tools and resources reach none of alice's sandbox, run or
// agent (each refused as not found, her objects unchanged), and his lists hold none of hers.
// Carol, whom alice shares her sandbox with, uses it through MCP as through REST.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { toolErrorOf } from '@paddock/mcp';
import { bwrapSkipReason } from '@paddock/testkit';
import {
  type AuthzWorld,
  type JsonValue,
  nsPath,
  type Role,
  SECRET_PATH,
  SECRET_TEXT,
  startAuthzWorld,
} from './authz-fixtures.ts';

type ToolCall = [tool: string, args: Record<string, unknown>];

describe('MCP tools and resources act as their caller', {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  const clients: Client[] = [];
  const connect = async (role: Role) => {
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', fx.w.s.url), {
      requestInit: { headers: { authorization: `Bearer ${fx.tokenOf(role)}` } },
    });
    const client = new Client({ name: 'paddock-authz-test', version: '0.0.0' });
    await client.connect(transport);
    clients.push(client);
    await client.listTools(); // results are then checked against the tools' schemas
    return client;
  };
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await fx?.close();
  });

  /** Tool calls on alice's objects: the box (shared with carol), her run and her agent. */
  const onHers = (): ToolCall[] => [
    ['sandbox_get', { name: fx.box }],
    ['sandbox_exec', { name: fx.box, command: ['cat', SECRET_PATH] }],
    ['sandbox_read_file', { name: fx.box, path: SECRET_PATH }],
    ['sandbox_write_file', { name: fx.box, path: '/workspace/mcp-bob.txt', content: 'bob' }],
    ['sandbox_list_files', { name: fx.box, path: '/workspace' }],
    ['sandbox_logs', { name: fx.box }],
    ['sandbox_events', { name: fx.box }],
    ['sandbox_preview_url', { name: fx.box }],
    ['sandbox_stop', { name: fx.box }],
    ['sandbox_pause', { name: fx.box }],
    ['sandbox_delete', { name: fx.box }],
    ['run_status', { name: fx.run }],
    ['run_events', { name: fx.run }],
    ['run_cancel', { name: fx.run }],
    ['run_send_message', { name: fx.run, text: 'hi' }],
    ['agent_get', { name: fx.agent }],
    ['run_start', { agent: fx.agent, prompt: 'x', name: 'bob-mcp-agent' }],
  ];

  it("refuses every tool of bob's on her objects as not found, and changes none of them", async () => {
    const bob = await connect('other');
    const before = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${fx.box}`, 200);
    const wrong: string[] = [];
    for (const [tool, args] of onHers()) {
      const result = await bob.callTool({ name: tool, arguments: args });
      const code = toolErrorOf(result)?.code;
      if (result.isError !== true || code !== 'not_found') {
        wrong.push(`${tool}: ${code ?? JSON.stringify(result.content).slice(0, 200)}`);
      }
    }
    assert.deepEqual(wrong, []);
    const after = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${fx.box}`, 200);
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.equal(after.metadata.deletionTimestamp, undefined);
    assert.equal(after.status.phase, 'Running');
    const files = await fx.json<JsonValue>(
      'admin',
      `${nsPath('sandboxes')}/${fx.box}/files/list?path=/workspace`,
      200,
    );
    assert.ok(!(files.items as JsonValue[]).some((f) => f.name === 'mcp-bob.txt'));
    const stray = await fx.call('admin', `${nsPath('runs')}/bob-mcp-agent`);
    await stray.body?.cancel();
    assert.equal(stray.status, 404, 'a run of her agent was stored');
  });

  it("refuses bob's run into her sandbox with his own agent", async () => {
    const bob = await connect('other');
    const made = await fx.call('other', nsPath('agents'), {
      method: 'POST',
      body: {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Agent',
        metadata: { name: 'bob-mcp' },
        spec: { harness: { kind: 'command', command: ['sh', '-c', `cat ${SECRET_PATH}`] } },
      },
    });
    assert.equal(made.status, 201, await made.text());
    const result = await bob.callTool({
      name: 'run_start',
      arguments: { agent: 'bob-mcp', prompt: 'x', sandbox: fx.box, name: 'bob-mcp-run' },
    });
    assert.equal(toolErrorOf(result)?.code, 'not_found', JSON.stringify(result.content));
    const stray = await fx.call('admin', `${nsPath('runs')}/bob-mcp-run`);
    await stray.body?.cancel();
    assert.equal(stray.status, 404);
  });

  it('lists none of hers to bob; reads none of her files or transcripts as resources', async () => {
    const bob = await connect('other');
    const listed = new Map<string, string[]>();
    for (const [tool, key] of [
      ['sandbox_list', 'name'],
      ['run_list', 'name'],
      ['agent_list', 'name'],
    ] as const) {
      const result = await bob.callTool({ name: tool, arguments: {} });
      assert.notEqual(result.isError, true, `${tool}: ${JSON.stringify(result.content)}`);
      const items = (result.structuredContent as { items: Array<Record<string, string>> }).items;
      listed.set(
        tool,
        items.map((item) => item[key] ?? ''),
      );
    }
    for (const [tool, names] of listed) {
      for (const hers of [fx.box, fx.run, fx.agent]) {
        assert.ok(!names.includes(hers), `${tool} lists ${hers}`);
      }
    }
    const { resources } = await bob.listResources();
    assert.ok(
      !resources.some((r) => r.uri.includes(fx.box) || r.uri.includes(fx.run)),
      JSON.stringify(resources.map((r) => r.uri)),
    );
    for (const uri of [
      `paddock://sandboxes/default/${fx.box}/files${SECRET_PATH}`,
      `paddock://runs/default/${fx.run}/transcript`,
    ]) {
      const read = bob.readResource({ uri });
      await assert.rejects(read, (error: Error) => {
        assert.doesNotMatch(error.message, new RegExp(SECRET_TEXT.trim()));
        assert.match(error.message, /not found/i);
        return true;
      });
    }
  });

  it('lets carol use the sandbox shared with her, and nothing else of alice’s', async () => {
    const carol = await connect('shared');
    const read = await carol.callTool({
      name: 'sandbox_read_file',
      arguments: { name: fx.box, path: SECRET_PATH },
    });
    assert.notEqual(read.isError, true, JSON.stringify(read.content));
    assert.match(JSON.stringify(read.structuredContent), /alice-only/);
    const stop = await carol.callTool({ name: 'sandbox_stop', arguments: { name: fx.box } });
    assert.equal(toolErrorOf(stop)?.code, 'forbidden', JSON.stringify(stop.content));
    const run = await carol.callTool({ name: 'run_status', arguments: { name: fx.run } });
    assert.equal(toolErrorOf(run)?.code, 'not_found');
  });
});
