// Test support: a real `paddock up` process with auth required (an admin and two users), and the
// MCP SDK's own client connected to Paddock's MCP server as one of them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createClient, type PaddockClient } from '@paddock/client';
import { createLocalRuntime } from '@paddock/runtime-local';
import { type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { createPaddockMcpServer } from './server.ts';

const SERVER_MAIN = new URL('../../../apps/server/src/main.ts', import.meta.url).pathname;

export type McpWorld = {
  server: PaddockProcess;
  admin: string;
  alice: string;
  bob: string;
  /** The REST API as the holder of `key`. */
  api(key: string): PaddockClient;
  /** An MCP client connected (in memory) to a Paddock MCP server speaking for `key`. */
  connect(key: string): Promise<Client>;
  close(): Promise<void>;
};

export type McpWorldOptions = {
  /** Extra environment of `paddock up`, e.g. `PADDOCK_ANTHROPIC_BASE_URL` of a scripted model. */
  env?: Record<string, string>;
};

export async function startMcpWorld(options: McpWorldOptions = {}): Promise<McpWorld> {
  const home = mkdtempSync(join(tmpdir(), 'paddock-mcp-'));
  const admin = `pdk_${randomBytes(32).toString('base64url')}`;
  const server = await startPaddockProcess(
    [SERVER_MAIN, '--addr', '127.0.0.1:0', '--home', home, '--auth', 'required'],
    { env: { ...process.env, ...options.env, PADDOCK_BOOTSTRAP_ADMIN_KEY: admin } },
  );
  const api = (key: string) => createClient({ baseUrl: server.url, token: key, timeoutMs: 60_000 });
  const keyFor = async (owner: string) =>
    (await api(admin).apiKeys.create({ name: owner, owner, role: 'user' })).key;
  const clients: Client[] = [];
  return {
    server,
    admin,
    alice: await keyFor('alice'),
    bob: await keyFor('bob'),
    api,
    connect: async (key) => {
      const mcp = createPaddockMcpServer({ client: api(key) });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await mcp.connect(serverSide);
      const client = new Client({ name: 'paddock-test', version: '0.0.0' });
      await client.connect(clientSide);
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
      // Sandboxes outlive the server (it re-adopts them at its next start): end them here.
      const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
      for (const ref of await runtime.list()) await runtime.destroy(ref);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
