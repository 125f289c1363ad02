import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createClient } from '@paddock/client';
import { PROMPT_TOOLS } from './prompts.ts';
import { createPaddockMcpServer } from './server.ts';
import { ALL_TOOLS } from './tools/index.ts';

function textOf(result: { messages: Array<{ role: string; content: { type: string } }> }) {
  return result.messages
    .map((m) => ('text' in m.content && typeof m.content.text === 'string' ? m.content.text : ''))
    .join('\n');
}

// Prompts read nothing from the server: a client that reaches none (its calls would fail) is enough.
describe('prompts through the MCP SDK client', () => {
  let client: Client;
  before(async () => {
    const mcp = createPaddockMcpServer({
      client: createClient({ baseUrl: 'http://127.0.0.1:9', token: 'pdk_unused' }),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    client = new Client({ name: 'paddock-test', version: '0.0.0' });
    await client.connect(clientSide);
  });
  after(() => client.close());

  it('lists both prompts with their arguments', async () => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => [p.name, p.arguments?.map((a) => [a.name, a.required])]),
      [
        [
          'debug_failed_run',
          [
            ['namespace', true],
            ['run', true],
          ],
        ],
        [
          'create_sandbox_for_repo',
          [
            ['repo', true],
            ['template', true],
          ],
        ],
      ],
    );
  });

  it('debug_failed_run names the run and the tools to read it with', async () => {
    const result = await client.getPrompt({
      name: 'debug_failed_run',
      arguments: { namespace: 'team-a', run: 'fix-tests' },
    });
    assert.equal(result.messages[0]?.role, 'user');
    const text = textOf(result);
    assert.match(text, /"fix-tests" in namespace "team-a"/);
    assert.match(text, /run_status with \{"namespace": "team-a", "name": "fix-tests"\}/);
    assert.match(text, /paddock:\/\/runs\/team-a\/fix-tests\/transcript/);
    for (const tool of PROMPT_TOOLS.debug_failed_run)
      assert.match(text, new RegExp(`\\b${tool}\\b`));
  });

  it('create_sandbox_for_repo names the repository, the template and the tools', async () => {
    const result = await client.getPrompt({
      name: 'create_sandbox_for_repo',
      arguments: { repo: 'https://github.com/acme/api.git', template: 'python' },
    });
    const text = textOf(result);
    assert.match(text, /https:\/\/github\.com\/acme\/api\.git/);
    assert.match(text, /template "python"/);
    for (const tool of PROMPT_TOOLS.create_sandbox_for_repo) {
      assert.match(text, new RegExp(`\\b${tool}\\b`));
    }
  });

  it('refuses a call without its arguments', async () => {
    await assert.rejects(
      client.getPrompt({ name: 'debug_failed_run', arguments: { namespace: 'default' } }),
      McpError,
    );
  });

  it('names only tools the server has', () => {
    const names = new Set(ALL_TOOLS.map((t) => t.name));
    const missing = Object.values(PROMPT_TOOLS)
      .flat()
      .filter((name) => !names.has(name));
    assert.deepEqual(missing, []);
  });
});
