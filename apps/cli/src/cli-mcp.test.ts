// paddock mcp serve: the MCP SDK's own stdio client spawning the real CLI, which speaks for the
// current context (saved by `paddock login`) to a real `paddock up` with auth required.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createClient } from '@paddock/client';
import { type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { CLI_MAIN, runCli, spawnCli } from './test-cli.ts';

describe('paddock mcp serve over stdio', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-mcp-cli-'));
  const admin = `pdk_${randomBytes(32).toString('base64url')}`;
  const { PADDOCK_URL: _u, PADDOCK_TOKEN: _t, PADDOCK_NAMESPACE: _n, ...baseEnv } = process.env;
  const env = { ...baseEnv, HOME: join(dir, 'home'), NO_COLOR: '1' };
  let server: PaddockProcess;

  before(async () => {
    server = await startPaddockProcess(
      [
        CLI_MAIN,
        'up',
        '--addr',
        '127.0.0.1:0',
        '--home',
        join(dir, 'server'),
        '--auth',
        'required',
      ],
      { env: { ...baseEnv, PADDOCK_BOOTSTRAP_ADMIN_KEY: admin } },
    );
    const { key } = await createClient({ baseUrl: server.url, token: admin }).apiKeys.create({
      name: 'alice',
      owner: 'alice',
      role: 'user',
    });
    const login = await runCli(['login', '--server', server.url, '--token-stdin'], {
      stdin: key,
      env,
    });
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the tools as the current context's user, audited as that user", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_MAIN, 'mcp', 'serve'],
      env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'paddock-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      // Listed first, as real clients do: the client then checks results against the schemas.
      await client.listTools();
      const refused = await client.callTool({
        name: 'sandbox_delete',
        arguments: { name: 'not-there' },
      });
      assert.equal(refused.isError, true);
      const { items } = await createClient({ baseUrl: server.url, token: admin }).audit.list({
        action: 'sandbox.delete',
      });
      assert.deepEqual(
        items.map((r) => [r.actor, r.target]),
        [['alice', 'Sandbox/default/not-there']],
      );
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'sandbox_list'));
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.equal(resourceTemplates.length, 2);
      const { prompts } = await client.listPrompts();
      assert.ok(prompts.some((p) => p.name === 'debug_failed_run'));

      assert.match(stderr, new RegExp(`paddock mcp: serving ${server.url} over stdio`));
    } finally {
      await client.close();
    }
  });

  it('writes only JSON-RPC on stdout and ends when stdin closes', async () => {
    const run = spawnCli(['mcp', 'serve'], env);
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '0' },
      },
    };
    run.child.stdin.write(`${JSON.stringify(initialize)}\n`);
    await run.waitFor(/"id":1/);
    run.child.stdin.end();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const answer = JSON.parse(lines[0] ?? '') as { result: { serverInfo: { name: string } } };
    assert.equal(answer.result.serverInfo.name, 'paddock');
  });

  it('fails with a usage error on an extra argument', async () => {
    const result = await runCli(['mcp', 'serve', 'extra'], { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage: paddock mcp serve/);
    assert.equal(result.stdout, '');
  });
});
