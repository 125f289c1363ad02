import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from './config.ts';
import { mcpConnections } from './mcp-tools.ts';

const env = { ANTHROPIC_API_KEY: 'pgt_run', PADDOCK_MCP_TOKEN: 'pgt_run' };
const argv = ['--provider', 'anthropic', '--model', 'm', '--prompt', 'p', '--cwd', '/tmp'];

function configOf(extra: NodeJS.ProcessEnv) {
  const parsed = resolveConfig(argv, { ...env, ...extra });
  assert.equal(parsed.isHelp, false);
  return parsed.isHelp ? undefined : parsed.config;
}

describe("paddock's own MCP server from the environment", () => {
  it('PADDOCK_MCP_URL adds it as `paddock`, authenticated with PADDOCK_MCP_TOKEN', () => {
    const config = configOf({ PADDOCK_MCP_URL: 'http://gateway.paddock.internal/mcp' });
    assert.deepEqual(config?.paddockMcp, {
      url: 'http://gateway.paddock.internal/mcp',
      token: 'pgt_run',
    });
    const connections = mcpConnections([], config?.paddockMcp);
    assert.deepEqual(connections, [
      {
        name: 'paddock',
        transport: 'http',
        url: 'http://gateway.paddock.internal/mcp',
        bearerToken: 'pgt_run',
      },
    ]);
  });

  it('without the variable there is none, and a server the agent names paddock wins', () => {
    assert.equal(configOf({})?.paddockMcp, undefined);
    const own = { name: 'paddock', transport: 'http' as const, url: 'http://example.test/mcp' };
    const paddock = { url: 'http://gateway.paddock.internal/mcp', token: 't' };
    assert.deepEqual(mcpConnections([own], paddock), [own]);
  });

  it('refuses a URL without its token', () => {
    assert.throws(
      () => resolveConfig(argv, { ANTHROPIC_API_KEY: 'k', PADDOCK_MCP_URL: 'http://x.test/mcp' }),
      /paddockMcp\.token/,
    );
  });
});
