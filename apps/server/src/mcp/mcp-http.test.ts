import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { toolErrorOf } from '@paddock/mcp';
import { eventually } from '@paddock/testkit';
import { startTestServer, type TestServer } from '../test-server.ts';
import { type AuthWorld, startAuthWorld } from '../ws/test-users.ts';

type Connected = { client: Client; transport: StreamableHTTPClientTransport };

async function connect(url: string, token: string | undefined): Promise<Connected> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'paddock-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A raw JSON-RPC request to `/mcp`, as an MCP client sends it. */
function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL('/mcp', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const LIST_TOOLS = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };

describe('MCP over streamable HTTP at /mcp (auth required)', { timeout: 60_000 }, () => {
  let w: AuthWorld;
  const open: Connected[] = [];
  const connectAs = async (token: string | undefined) => {
    const connected = await connect(w.s.url, token);
    open.push(connected);
    return connected;
  };
  before(async () => {
    w = await startAuthWorld();
  });
  // Sessions still open end with the server (a leaked one would hold its close).
  after(async () => {
    await Promise.allSettled(open.map(({ client }) => client.close()));
    await w.s.close();
  });

  it('lists the tools and calls one as the caller', async () => {
    const { client } = await connectAs(w.alice);
    assert.equal(client.getServerVersion()?.name, 'paddock');
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'sandbox_list'));
    const listed = await client.callTool({ name: 'sandbox_list', arguments: {} });
    assert.equal(listed.isError, undefined, JSON.stringify(listed.content));
    assert.deepEqual(listed.structuredContent, { items: [] });
  });

  it("calls the REST API with the caller's rights, audited as the caller", async () => {
    const { client } = await connectAs(w.alice);
    await client.listTools(); // a client that listed the tools checks results against their schemas
    const refused = await client.callTool({
      name: 'sandbox_delete',
      arguments: { name: 'not-there' },
    });
    assert.equal(refused.isError, true);
    assert.equal(toolErrorOf(refused)?.code, 'not_found');
    const records = await eventually(
      async () => {
        const res = await w.s.call('/api/v1/audit?limit=50', { token: w.admin });
        const { items } = (await res.json()) as {
          items: Array<{ actor: string; action: string; target: unknown; result: string }>;
        };
        const found = items.filter((r) => JSON.stringify(r.target).includes('not-there'));
        assert.ok(found.length > 0, 'an audit record of the delete');
        return found;
      },
      { what: 'the audit record' },
    );
    assert.deepEqual(
      records.map((r) => [r.actor, r.action, r.result]),
      [['alice', 'sandbox.delete', 'failure']],
    );
  });

  it('refuses a wrong key and a request without credentials (401)', async () => {
    await assert.rejects(connect(w.s.url, `pdk_${'x'.repeat(43)}`), (error: unknown) => {
      assert.ok(error instanceof StreamableHTTPError, String(error));
      assert.equal(error.code, 401);
      return true;
    });
    const anonymous = await post(w.s.url, LIST_TOOLS, {});
    assert.equal(anonymous.status, 401);
    const body = (await anonymous.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'unauthenticated');
  });

  it('binds a session to the principal that opened it', async () => {
    const { transport } = await connectAs(w.alice);
    const sessionId = transport.sessionId ?? '';
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    const asAlice = await post(w.s.url, LIST_TOOLS, {
      authorization: `Bearer ${w.alice}`,
      'mcp-session-id': sessionId,
    });
    assert.equal(asAlice.status, 200);
    assert.match(await asAlice.text(), /sandbox_list/);

    const asBob = await post(w.s.url, LIST_TOOLS, {
      authorization: `Bearer ${w.bob}`,
      'mcp-session-id': sessionId,
    });
    assert.equal(asBob.status, 404);
    assert.equal(((await asBob.json()) as { error: { code: string } }).error.code, 'not_found');
    // Even an admin cannot take over a session it did not open.
    const asAdmin = await post(w.s.url, LIST_TOOLS, {
      authorization: `Bearer ${w.admin}`,
      'mcp-session-id': sessionId,
    });
    assert.equal(asAdmin.status, 404);
  });

  it('ends a session on DELETE', async () => {
    const { client, transport } = await connectAs(w.alice);
    const sessionId = transport.sessionId ?? '';
    await transport.terminateSession();
    const after = await post(w.s.url, LIST_TOOLS, {
      authorization: `Bearer ${w.alice}`,
      'mcp-session-id': sessionId,
    });
    assert.equal(after.status, 404);
    await client.close();
  });

  it('needs a session id for anything but an initialize', async () => {
    const res = await post(w.s.url, LIST_TOOLS, { authorization: `Bearer ${w.alice}` });
    assert.equal(res.status, 400);
    const get = await fetch(new URL('/mcp', w.s.url), {
      headers: { authorization: `Bearer ${w.alice}`, accept: 'text/event-stream' },
    });
    assert.equal(get.status, 400);
    await get.body?.cancel();
  });
});

describe('MCP at /mcp without auth configured', { timeout: 60_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('serves a loopback caller without credentials, as the API does', async () => {
    const { client } = await connect(s.url, undefined);
    const listed = await client.callTool({ name: 'sandbox_list', arguments: {} });
    assert.equal(listed.isError, undefined, JSON.stringify(listed.content));
    await client.close();
  });

  it('refuses a credential-less request from a web page of another origin', async () => {
    const res = await post(
      s.url,
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'page', version: '0' },
        },
      },
      { origin: 'http://rebound.example' },
    );
    assert.equal(res.status, 403);
    await res.body?.cancel();
  });

  it('ends the sessions still open when the server shuts down', async () => {
    const other = await startTestServer();
    const { client } = await connect(other.url, undefined);
    await client.listTools();
    // The client's event stream (GET) is open: the server's close waits for it to end.
    await other.close();
    await assert.rejects(client.listTools());
    await client.close();
  });
});
