// Test fixture: a tiny MCP server over stdio (the SDK's McpServer) with two tools, `shout` and
// `secret`. Run as `node echo-mcp-server.ts`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'echo-fixture', version: '1.0.0' });
server.registerTool(
  'shout',
  { description: 'Upper-cases text.', inputSchema: { text: z.string() } },
  async ({ text }) => ({
    content: [{ type: 'text', text: `${text.toUpperCase()} (pid ${process.pid})` }],
  }),
);
server.registerTool(
  'secret',
  { description: 'Must not be reachable when not allowed.', inputSchema: {} },
  async () => ({ content: [{ type: 'text', text: 'the secret' }] }),
);
await server.connect(new StdioServerTransport());
