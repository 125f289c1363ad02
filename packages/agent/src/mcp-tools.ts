/**
 * MCP servers as tools: connects to each configured server (stdio or streamable HTTP) with the
 * MCP SDK's client, lists its tools and exposes each as `mcp__<server>__<tool>` (characters the
 * model APIs refuse in a name become `_`). Arguments must be a JSON object; the server validates
 * them against its own schema. `close()` closes every transport (a stdio server's process ends).
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServer } from '@paddock/core';
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { MCP_PREFIX } from './tool-allowlist.ts';
import { errorMessage, type Tool, truncateOutput } from './tools/tool.ts';

/** How long one MCP tool call may take. */
const CALL_TIMEOUT_MS = 600_000;

const ToolArguments = z.record(z.string(), z.unknown());

export type McpTools = { tools: Tool[]; close(): Promise<void> };

/** The name the model sees for a server's tool. */
export function mcpToolName(server: string, tool: string): string {
  return `${MCP_PREFIX}${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 128);
}

/** The name the harness gives Paddock's own MCP server (its tools are `mcp__paddock__…`). */
export const PADDOCK_MCP_SERVER = 'paddock';

/** A server to connect: one an agent declares, or Paddock's own with the run's token. */
export type McpConnection =
  | McpServer
  | { name: string; transport: 'http'; url: string; bearerToken: string };

/**
 * The agent's servers and, when `paddock` is given (`PADDOCK_MCP_URL`), Paddock's read-only
 * server as `paddock`; a server the agent itself names `paddock` wins.
 */
export function mcpConnections(
  servers: readonly McpServer[],
  paddock: { url: string; token: string } | undefined,
): McpConnection[] {
  if (paddock === undefined || servers.some((s) => s.name === PADDOCK_MCP_SERVER))
    return [...servers];
  return [
    ...servers,
    { name: PADDOCK_MCP_SERVER, transport: 'http', url: paddock.url, bearerToken: paddock.token },
  ];
}

function transportFor(server: McpConnection, cwd: string): Transport {
  switch (server.transport) {
    case 'stdio': {
      const [command = '', ...args] = server.command;
      const env: Record<string, string> = { ...getDefaultEnvironment() };
      for (const variable of server.env ?? []) env[variable.name] = variable.value;
      return new StdioClientTransport({ command, args, env, cwd, stderr: 'inherit' });
    }
    case 'http': {
      const headers =
        'bearerToken' in server ? { authorization: `Bearer ${server.bearerToken}` } : undefined;
      return new StreamableHTTPClientTransport(
        new URL(server.url),
        headers === undefined ? undefined : { requestInit: { headers } },
      );
    }
  }
}

type Content = { type: string; text?: unknown; mimeType?: unknown; resource?: unknown };

function describeContent(content: readonly Content[], structured: unknown): string {
  const parts = content.map((part) => {
    if (part.type === 'text' && typeof part.text === 'string') return part.text;
    if (part.type === 'resource') return JSON.stringify(part.resource);
    return `[${part.type}${typeof part.mimeType === 'string' ? ` ${part.mimeType}` : ''}]`;
  });
  if (parts.length === 0 && structured !== undefined) return JSON.stringify(structured);
  return parts.join('\n');
}

async function connectOne(
  server: McpConnection,
  cwd: string,
): Promise<{ client: Client; tools: Tool[] }> {
  const client = new Client({ name: 'paddock-agent', version: '0.1.0' });
  try {
    await client.connect(transportFor(server, cwd));
  } catch (error) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `MCP server "${server.name}" did not start: ${errorMessage(error)}`,
      { server: server.name },
      { cause: error },
    );
  }
  const listed: Array<{ name: string; description?: string | undefined; inputSchema: unknown }> =
    [];
  try {
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      listed.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `MCP server "${server.name}" did not list its tools: ${errorMessage(error)}`,
      { server: server.name },
      { cause: error },
    );
  }

  const tools = listed.map(
    (tool): Tool => ({
      name: mcpToolName(server.name, tool.name),
      description: tool.description ?? `${tool.name} (MCP server ${server.name})`,
      inputSchema:
        typeof tool.inputSchema === 'object' && tool.inputSchema !== null
          ? { ...(tool.inputSchema as Record<string, unknown>) }
          : { type: 'object' },
      async run(input, context) {
        const args = ToolArguments.safeParse(input);
        if (!args.success) {
          return { output: `invalid arguments for ${tool.name}: not a JSON object`, isError: true };
        }
        try {
          const result = await client.callTool(
            { name: tool.name, arguments: args.data },
            undefined,
            {
              signal: context.signal,
              timeout: CALL_TIMEOUT_MS,
            },
          );
          const content = Array.isArray(result.content) ? (result.content as Content[]) : [];
          return {
            output: truncateOutput(
              describeContent(content, result.structuredContent),
              context.maxOutputChars,
            ),
            isError: result.isError === true,
          };
        } catch (error) {
          return { output: `MCP tool ${tool.name} failed: ${errorMessage(error)}`, isError: true };
        }
      },
    }),
  );
  return { client, tools };
}

/** Connects every server; if one fails, the ones already connected are closed and the error thrown. */
export async function connectMcpServers(
  servers: readonly McpConnection[],
  cwd: string,
): Promise<McpTools> {
  const clients: Client[] = [];
  const tools: Tool[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
  };
  try {
    for (const server of servers) {
      const connected = await connectOne(server, cwd);
      clients.push(connected.client);
      tools.push(...connected.tools);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { tools, close };
}
