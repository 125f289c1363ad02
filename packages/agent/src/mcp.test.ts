// MCP servers through the real harness: a stdio fixture server whose tool the model calls, the
// allowlist by full MCP name, and transports closed at the end.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { startScriptedLlm } from '@paddock/testkit';
import { z } from 'zod';
import { ofType, providerEnv, startAgent, tempWorkspace } from './test-support/agent-process.ts';
import { isRunning } from './test-support/process-state.ts';

const FIXTURE = join(import.meta.dirname, 'test-support', 'echo-mcp-server.ts');

let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
before(async () => {
  workspace = await tempWorkspace();
});
after(() => workspace.cleanup());

for (const provider of ['anthropic', 'openai'] as const) {
  test(`a stdio MCP server's tool is offered, called and closed; the allowlist refuses another (${provider})`, async () => {
    const llm = await startScriptedLlm({
      script: [
        { toolCalls: [{ id: 'm1', name: 'mcp__fx__shout', input: { text: 'quiet words' } }] },
        { toolCalls: [{ id: 'm2', name: 'mcp__fx__shout', input: { text: 5 } }] },
        { toolCalls: [{ id: 'm3', name: 'mcp__fx__secret', input: {} }] },
        { text: 'done with mcp' },
      ],
    });
    try {
      const config = join(workspace.dir, `agent-${provider}.json`);
      await writeFile(
        config,
        JSON.stringify({
          provider,
          model: provider === 'anthropic' ? 'claude-sonnet-4-6' : 'gpt-4o',
          prompt: 'use the mcp tool',
          tools: ['read_file', 'mcp__fx__shout'],
          mcpServers: [{ name: 'fx', transport: 'stdio', command: [process.execPath, FIXTURE] }],
        }),
      );
      const agent = startAgent({
        cwd: workspace.dir,
        args: ['--config', config],
        env: providerEnv(provider, llm.url),
      });
      const { code, events, stderr } = await agent.exited;
      assert.equal(code, 0, stderr);

      const body = llm.requests[0]?.body as {
        tools: Array<{ name?: string; function?: { name: string } }>;
      };
      const offered = body.tools.map((t) => t.name ?? t.function?.name);
      assert.deepEqual(offered, ['read_file', 'mcp__fx__shout']);

      const results = ofType(events, 'tool.result');
      assert.equal(results[0]?.isError, false);
      const shouted = /^QUIET WORDS \(pid (\d+)\)$/.exec(results[0]?.output ?? '');
      assert.ok(shouted, results[0]?.output);
      assert.equal(results[1]?.isError, true, 'the server refuses a bad argument');
      assert.equal(results[2]?.isError, true);
      assert.match(results[2]?.output ?? '', /not allowed/);
      assert.equal(ofType(events, 'run.finished')[0]?.result, 'done with mcp');
      assert.equal(
        isRunning(Number(shouted[1])),
        false,
        'the MCP server process ended with the run',
      );
    } finally {
      await llm.close();
    }
  });
}

test('an MCP server that cannot start fails the run with an error event', async () => {
  const llm = await startScriptedLlm({ script: [{ text: 'never asked' }] });
  try {
    const config = join(workspace.dir, 'broken.json');
    await writeFile(
      config,
      JSON.stringify({
        provider: 'anthropic',
        model: 'claude-sonnet-4-6',
        prompt: 'x',
        mcpServers: [{ name: 'broken', transport: 'stdio', command: ['/nonexistent/mcp-server'] }],
      }),
    );
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--config', config],
      env: providerEnv('anthropic', llm.url),
    });
    const { code, events } = await agent.exited;
    assert.equal(code, 1);
    assert.match(ofType(events, 'error')[0]?.message ?? '', /MCP server "broken"/);
    assert.equal(events.at(-1)?.type, 'run.finished');
    assert.equal(llm.requests.length, 0);
  } finally {
    await llm.close();
  }
});

test('a streamable HTTP MCP server is reached with the same tool naming', async () => {
  // Stateless streamable HTTP: a fresh MCP server and transport per request, as the SDK documents.
  const http = createServer(async (req, res) => {
    const mcp = new McpServer({ name: 'http-fixture', version: '1.0.0' });
    mcp.registerTool(
      'add',
      { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
    const transport = new StreamableHTTPServerTransport({});
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const llm = await startScriptedLlm({
    script: [
      { toolCalls: [{ name: 'mcp__calc__add', input: { a: 2, b: 40 } }] },
      { text: 'sum done' },
    ],
  });
  try {
    const { port } = http.address() as AddressInfo;
    const config = join(workspace.dir, 'http.json');
    await writeFile(
      config,
      JSON.stringify({
        provider: 'openai',
        model: 'gpt-4o',
        prompt: 'add',
        tools: ['mcp__calc__*'],
        mcpServers: [{ name: 'calc', transport: 'http', url: `http://127.0.0.1:${port}/mcp` }],
      }),
    );
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--config', config],
      env: providerEnv('openai', llm.url),
    });
    const { code, events, stderr } = await agent.exited;
    assert.equal(code, 0, stderr);
    const result = ofType(events, 'tool.result')[0];
    assert.deepEqual([result?.output, result?.isError], ['42', false]);
    const body = llm.requests[0]?.body as { tools: Array<{ function: { name: string } }> };
    assert.deepEqual(
      body.tools.map((t) => t.function.name),
      ['mcp__calc__add'],
    );
  } finally {
    await llm.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});
