import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createPaddockMcpServer, hasKubernetesBackend } from '@paddock/mcp';
import type { Command } from '../command.ts';
import { oneName } from './sandbox.ts';

export const mcpServeCommand: Command = {
  path: ['mcp', 'serve'],
  flags: [],
  help: `Usage: paddock mcp serve [--server URL] [--token TOKEN] [--context NAME] [-n NS]

Serves Paddock as an MCP server (Model Context Protocol) over stdio, for an agent or IDE that
starts it as a child process: tools over sandboxes, templates, agents, runs and governance (and,
on a server that runs on Kubernetes, read-only cluster tools for admins), the
files of sandboxes and the transcripts of runs as resources, and prompts for common tasks. Every
call goes to the REST API of the current context's server (or --server, PADDOCK_URL) with its
key (--token, PADDOCK_TOKEN), so it has exactly that key's rights and is audited as its owner.
-n sets the namespace tools use when a call names none. JSON-RPC travels on stdin and stdout;
anything else goes to stderr. It ends when stdin closes.

Example (an MCP client's configuration):
  {"mcpServers": {"paddock": {"command": "paddock", "args": ["mcp", "serve"]}}}
`,
  async run({ args, settings, client, io }) {
    if (args.length > 0) oneName(['', ...args], 'paddock mcp serve');
    // The read-only cluster tools only where the server says it runs on Kubernetes.
    const hasKubernetes = await hasKubernetesBackend(client);
    const server = createPaddockMcpServer({ client, hasKubernetes });
    const transport = new StdioServerTransport(process.stdin, process.stdout);
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
    });
    const close = () => void server.close();
    // The client ends the session by closing our stdin (or by a signal when that is not enough).
    process.stdin.once('end', close);
    process.once('SIGINT', close);
    process.once('SIGTERM', close);
    await server.connect(transport);
    io.stderr(`paddock mcp: serving ${settings.server} over stdio\n`);
    await closed;
    process.stdin.off('end', close);
    process.off('SIGINT', close);
    process.off('SIGTERM', close);
    return 0;
  },
};
