/**
 * The Paddock MCP server: tools, resources and prompts over the REST API as one caller. The
 * transports (stdio in the CLI, streamable HTTP at `/mcp` on the server) give it a client that
 * speaks for their caller; nothing here holds a rule of its own.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PaddockClient } from '@paddock/client';
import { registerPrompts } from './prompts.ts';
import { registerResources } from './resources.ts';
import { registerTools } from './tool.ts';
import { ALL_TOOLS, toolsFor } from './tools/index.ts';

export type PaddockMcpOptions = {
  /** The REST API, authenticated as the caller. */
  client: PaddockClient;
  /** The server's version, as the MCP handshake reports it. */
  version?: string;
  /**
   * Only the tools that change nothing (`readOnlyHint: true`): the toolset a run reaches from
   * inside its sandbox. Its token is read-only anyway; this keeps the write tools out of sight.
   */
  readOnly?: boolean;
  /** The Paddock server runs on Kubernetes: offer the read-only cluster tools (admins') too. */
  hasKubernetes?: boolean;
};

const INSTRUCTIONS =
  'Paddock runs sandboxes (isolated Linux environments) and AI agents in them. List or create a sandbox, then run commands and move files in it; start runs of agents and follow their events. Every call acts as you, with your rights.';
const READ_ONLY_INSTRUCTIONS =
  'Paddock runs sandboxes (isolated Linux environments) and AI agents in them; you are one of its runs. These tools only read, and only your own namespace: list and inspect sandboxes, templates, agents, runs and their events, the effective policy. Every call acts as your run’s owner.';

export function createPaddockMcpServer(options: PaddockMcpOptions): McpServer {
  const server = new McpServer(
    { name: 'paddock', title: 'Paddock', version: options.version ?? '0.1.0' },
    {
      // logging: clients may set a level (logging/setLevel); nothing is logged to them yet.
      capabilities: { tools: { listChanged: false }, logging: {} },
      instructions: options.readOnly ? READ_ONLY_INSTRUCTIONS : INSTRUCTIONS,
    },
  );
  // A run's read-only toolset never holds the cluster tools: they are the admins'.
  const tools = options.readOnly
    ? ALL_TOOLS.filter((t) => t.annotations.readOnlyHint)
    : toolsFor({ hasKubernetes: options.hasKubernetes === true });
  registerTools(server, tools, options.client);
  registerResources(server, options.client);
  registerPrompts(server);
  return server;
}
