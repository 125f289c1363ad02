// A `/mcp` request counts once against its caller's rate limit: the REST calls its tool makes
// for it carry the process's relay key and are not charged again; a request that only claims to
// be a relay is charged like any other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../test-server.ts';
import { RELAY_HEADER } from './mcp-relay.ts';

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

describe('the rate limit of /mcp', { timeout: 60_000 }, () => {
  let s: TestServer;
  // Three requests at once, and next to none refilled while the test runs.
  before(async () => {
    s = await startTestServer({ 'rate-limit': '0.001', 'rate-burst': '3' });
  });
  after(() => s.close());

  const post = async (body: unknown, session?: string) => {
    const res = await fetch(new URL('/mcp', s.url), {
      method: 'POST',
      headers: { ...HEADERS, ...(session === undefined ? {} : { 'mcp-session-id': session }) },
      body: JSON.stringify(body),
    });
    return { res, text: await res.text() };
  };
  const callList = (id: number, session: string) =>
    post(
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'sandbox_list', arguments: {} } },
      session,
    );

  it('charges each /mcp request once, not again for the REST calls of its tool', async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'rate-test', version: '0' },
      },
    });
    assert.equal(init.res.status, 200, init.text);
    const session = init.res.headers.get('mcp-session-id') ?? '';
    // Two tool calls, each calling GET …/sandboxes: with those calls charged, the second would
    // find the three tokens gone.
    for (const id of [1, 2]) {
      const call = await callList(id, session);
      assert.equal(call.res.status, 200, call.text);
      assert.match(call.text, /"structuredContent":\{"items":\[\]\}/);
      assert.doesNotMatch(call.text, /"isError":true/);
    }
    // The fourth request is over the limit.
    const over = await callList(3, session);
    assert.equal(over.res.status, 429, over.text);
    assert.match(over.text, /rate_limited/);
  });

  it('charges a REST request whose relay header is not the key', async () => {
    const other = await startTestServer({ 'rate-limit': '0.001', 'rate-burst': '1' });
    try {
      const call = () =>
        other.call('/api/v1/namespaces/default/sandboxes', {
          headers: { [RELAY_HEADER]: Buffer.alloc(32).toString('base64url') },
        });
      const first = await call();
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const refused = await call();
      assert.equal(refused.status, 429);
      await refused.body?.cancel();
    } finally {
      await other.close();
    }
  });
});
