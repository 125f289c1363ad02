// Port forwarding over `/ws/port-forward/{ns}/{name}/{port}`, driven by the typed client, on the
// real runtime: an HTTP request written as raw TCP bytes to a server inside the sandbox.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from './test-users.ts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPaddockError(error), String(error));
    return error.code;
  }
  assert.fail('expected a refusal');
}

/** The status and body of a WebSocket upgrade the server refuses. */
function refusal(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('port forward on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const box = uniqueName('fwd');

  before(async () => {
    w = await startAuthWorld();
    const template = await w.s.call('/api/v1/namespaces/default/sandboxtemplates', {
      method: 'POST',
      token: w.admin,
      body: JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'raw' },
        spec: {
          inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
          files: [{ path: '/workspace/hello.txt', content: 'forwarded\n' }],
          command: ['python3', '-m', 'http.server', '7000', '--directory', '/workspace'],
          ports: [{ name: 'raw', port: 7000, protocol: 'tcp' }],
        },
      }),
    });
    assert.equal(template.status, 201, await template.clone().text());
    await w.createSandbox(box, w.alice, { kind: 'SandboxTemplate', name: 'raw' });
  });
  after(async () => {
    await w.s.close();
  });

  it('carries raw TCP both ways to a declared port, and audits it', async () => {
    const alice = createClient({ baseUrl: w.s.url, token: w.alice });
    const response = await eventually(
      async () => {
        const forward = await alice.sandboxes.portForward(box, 7000);
        const writer = forward.writable.getWriter();
        await writer.write(new TextEncoder().encode('GET /hello.txt HTTP/1.0\r\n\r\n'));
        writer.releaseLock();
        const text = await new Response(forward.readable).text();
        forward.close();
        return text.length > 0 ? text : undefined;
      },
      { what: 'an answer through port 7000' },
    );
    assert.match(response, /^HTTP\/1\.0 200 /);
    assert.match(response, /\r\n\r\nforwarded\n$/);
    const audit = await w.s.call('/api/v1/audit?action=port.forward', { token: w.admin });
    const records = ((await audit.json()) as { items: Array<Record<string, unknown>> }).items;
    assert.ok(
      records.some((r) => {
        const details = r.details as { port?: number; status?: number };
        return r.result === 'success' && details.status === 101 && details.port === 7000;
      }),
      JSON.stringify(records),
    );
  });

  it('refuses undeclared ports, strangers and bad tokens', async () => {
    const alice = createClient({ baseUrl: w.s.url, token: w.alice });
    assert.equal(await codeOf(alice.sandboxes.portForward(box, 7001)), 'not_found');
    const undeclared = await refusal(`${w.s.url}/ws/port-forward/default/${box}/7001`, w.alice);
    assert.equal(undeclared.status, 404);
    assert.match(undeclared.body, /port 7001 is not a port of sandbox/);
    const bob = createClient({ baseUrl: w.s.url, token: w.bob });
    assert.match(await codeOf(bob.sandboxes.portForward(box, 7000)), /not_found$/);
    const nobody = createClient({ baseUrl: w.s.url, token: 'pdk_wrong' });
    assert.equal(await codeOf(nobody.sandboxes.portForward(box, 7000)), 'unauthenticated');
  });
});
