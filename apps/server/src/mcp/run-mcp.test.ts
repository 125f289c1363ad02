// Paddock's read-only MCP toolset from inside a run's sandbox: a template opts in with
// `mcp: paddock-readonly`, the run's environment gets PADDOCK_MCP_URL, the built-in harness
// connects it as `paddock` through the egress path (the gateway's listener) with the run's token,
// and that token reads its own namespace only, through MCP and REST alike.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  bwrapSkipReason,
  eventually,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { finishedRun, lastToolResult, type RunJson, runTranscript } from '../run-test-support.ts';
import { API, startTestServer, type TestServer } from '../test-server.ts';

const PROVIDER_KEY = 'sk-ant-provider-key-for-the-run-mcp-test';
const GATE = '/workspace/.gate';

type Turn = (request: RecordedRequest) => ScriptedTurn;

/** The status a WebSocket upgrade request is answered with (101 when it is accepted). */
function upgradeStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'paddock.terminal.v1',
      },
    });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.once('error', reject);
    req.end();
  });
}

/** The tool names the model was offered in `request` (Anthropic shape). */
function offeredTools(request: RecordedRequest): string[] {
  const tools = (request.body as { tools?: Array<{ name: string }> }).tools ?? [];
  return tools.map((t) => t.name);
}

describe('the read-only MCP toolset inside a sandbox', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  let llm: ScriptedLlm;
  let server: TestServer;
  let turns: Turn[] = [];
  const seen: RecordedRequest[] = [];

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: PROVIDER_KEY,
      script: (request) => {
        seen.push(request);
        const next = turns.shift();
        return next ? next(request) : { error: { status: 500, message: 'script exhausted' } };
      },
    });
    server = await startTestServer(
      { 'anthropic-base-url': llm.url },
      { ANTHROPIC_API_KEY: PROVIDER_KEY },
    );
    const post = async (path: string, body: unknown) => {
      const res = await server.call(path, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 201, await res.clone().text());
    };
    await post('/api/v1/namespaces/team-a/sandboxtemplates', {
      apiVersion: API,
      kind: 'SandboxTemplate',
      metadata: { name: 'with-mcp' },
      spec: {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'agent' },
        mcp: 'paddock-readonly',
      },
    });
    // Objects the run's token must not see: another namespace's sandbox.
    await post('/api/v1/namespaces/team-b/sandboxes', {
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'elsewhere' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
  });

  after(async () => {
    await server?.close();
    await llm?.close();
  });

  const startRun = async (name: string, namespace: string, templateRef?: { name: string }) => {
    const res = await server.call(`/api/v1/namespaces/${namespace}/runs`, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name },
        spec: {
          agent: { harness: { kind: 'builtin' } },
          prompt: 'look around',
          ...(templateRef === undefined ? {} : { sandbox: { templateRef } }),
        },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
  };

  it('an opted-in run lists the read-only tools, sees only its namespace, and its token only reads', async () => {
    let token = '';
    let listed = '';
    turns = [
      () => ({ toolCalls: [{ name: 'mcp__paddock__sandbox_list', input: {} }] }),
      (request) => {
        listed = lastToolResult(request);
        const command = 'echo "URL=$PADDOCK_MCP_URL TOKEN=$PADDOCK_MCP_TOKEN"';
        return { toolCalls: [{ name: 'bash', input: { command } }] };
      },
      (request) => {
        token = /TOKEN=(\S+)/.exec(lastToolResult(request))?.[1] ?? '';
        // The run waits at the gate: its token is good while it runs.
        const command = `while [ ! -e ${GATE} ]; do sleep 0.1; done; echo GATE-OPEN`;
        return { toolCalls: [{ name: 'bash', input: { command } }] };
      },
      () => ({ text: 'done' }),
    ];
    seen.length = 0;
    await startRun('reader', 'team-a', { name: 'with-mcp' });
    const echoed = lastToolResult(await waitForRequest(2));
    const run: RunJson = await (await server.call('/api/v1/namespaces/team-a/runs/reader')).json();
    const sandboxName: string = run.status.sandboxName;

    const offered = offeredTools(seen[0] as RecordedRequest);
    assert.ok(offered.includes('mcp__paddock__sandbox_list'), offered.join(' '));
    assert.ok(offered.includes('mcp__paddock__run_status'), offered.join(' '));
    for (const write of [
      'sandbox_create',
      'sandbox_exec',
      'sandbox_delete',
      'run_start',
      'sandbox_write_file',
    ]) {
      assert.equal(offered.includes(`mcp__paddock__${write}`), false, `${write} is offered`);
    }
    assert.match(listed, new RegExp(sandboxName), listed);
    assert.doesNotMatch(listed, /elsewhere|team-b/, listed);

    // The run's token from the host: read-only, one namespace.
    assert.match(echoed, /URL=http:\/\/gateway\.paddock\.internal\/mcp /);
    const runToken = /TOKEN=(\S+)/.exec(echoed)?.[1] ?? '';
    assert.match(runToken, /^pgt_/);
    const asRun = { token: runToken };
    const mine = await server.call('/api/v1/namespaces/team-a/sandboxes', asRun);
    assert.equal(mine.status, 200, await mine.clone().text());
    const me: RunJson = await (await server.call('/api/v1/users/me', asRun)).json();
    assert.equal(me.authMethod, 'run-token');
    assert.deepEqual(me.scope, { namespace: 'team-a', access: 'read' });
    const refusals: Array<[string, RequestInit & { token: string }, RegExp]> = [
      [
        '/api/v1/namespaces/team-a/sandboxes',
        {
          ...asRun,
          method: 'POST',
          body: JSON.stringify({
            apiVersion: API,
            kind: 'Sandbox',
            metadata: { name: 'made-by-run' },
            spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
          }),
        },
        /POST is not a read/,
      ],
      [
        `/api/v1/namespaces/team-a/sandboxes/${sandboxName}`,
        { ...asRun, method: 'DELETE' },
        /DELETE is not a read/,
      ],
      ['/api/v1/namespaces/team-b/sandboxes', asRun, /namespace team-b is out of scope/],
      ['/api/v1/sandboxes', asRun, /across namespaces/],
      [
        `/api/v1/namespaces/team-a/sandboxes/${sandboxName}/files?path=/etc/hostname`,
        asRun,
        /credentials/,
      ],
    ];
    for (const [path, init, words] of refusals) {
      const res = await server.call(path, init);
      const body: RunJson = await res.json();
      assert.equal(res.status, 403, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'forbidden');
      assert.match(body.error.message, /read-only in namespace team-a/);
      assert.match(body.error.message, words);
    }
    // A terminal is refused before the upgrade.
    const terminal = await upgradeStatus(
      `${server.url}/ws/terminal/team-a/${sandboxName}`,
      runToken,
    );
    assert.equal(terminal, 403);

    // So is the E2B API, even a read.
    const e2b = await server.call('/e2b/sandboxes', { headers: { 'x-api-key': runToken } });
    assert.equal(e2b.status, 403, await e2b.clone().text());
    assert.match(await e2b.text(), /the E2B API/);

    // The gateway's /mcp serves run tokens only: a credential-less caller on this machine is refused.
    const { port } = server.engine.gateway.server.address() as AddressInfo;
    const anonymous = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(anonymous.status, 403, await anonymous.clone().text());

    const gate = await server.call(
      `/api/v1/namespaces/team-a/sandboxes/${sandboxName}/files?path=${GATE}`,
      { method: 'PUT', body: 'go' },
    );
    assert.ok(gate.status < 300, await gate.text());
    const finished = await finishedRun(server, 'reader', 'team-a');
    const events = await runTranscript(server, 'reader', 'team-a');
    assert.equal(finished.status.phase, 'Succeeded', JSON.stringify(events));
    assert.equal(token, runToken);
    // The run has finished: its token is no longer a credential.
    const late = await server.call('/api/v1/namespaces/team-a/sandboxes', asRun);
    assert.equal(late.status, 401);
  });

  it('a run whose template does not opt in gets no PADDOCK_MCP_URL and no paddock tools', async () => {
    let echoed = '';
    turns = [
      () => ({
        toolCalls: [{ name: 'bash', input: { command: 'echo "MCP=[$PADDOCK_MCP_URL]"' } }],
      }),
      (request) => {
        echoed = lastToolResult(request);
        return { text: 'done' };
      },
    ];
    seen.length = 0;
    await startRun('plain', 'team-a');
    const run = await finishedRun(server, 'plain', 'team-a');
    assert.equal(
      run.status.phase,
      'Succeeded',
      JSON.stringify(await runTranscript(server, 'plain', 'team-a')),
    );
    assert.match(echoed, /MCP=\[\]/);
    assert.equal(
      offeredTools(seen[0] as RecordedRequest).some((t) => t.startsWith('mcp__paddock__')),
      false,
    );
  });

  async function waitForRequest(index: number): Promise<RecordedRequest> {
    return eventually(
      async () => {
        const request = seen[index];
        assert.ok(request, `request ${index} not made yet`);
        return request;
      },
      { what: `model request ${index}`, timeoutMs: 90_000 },
    );
  }
});
