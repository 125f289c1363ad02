// The API listener over TLS (--tls-cert, --tls-key): REST through @paddock/client, and /mcp,
// whose tools call this server's REST API over its own certificate; bad TLS settings name
// their flag or variable.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import { makeTestCertificates, opensslSkipReason, type TestCertificates } from '@paddock/testkit';
import { Agent, fetch as undiciFetch } from 'undici';
import { WebSocket } from 'ws';
import { bootstrapAdminKey } from './bootstrap-key.ts';
import { parseServerArgs, resolveConfig } from './config.ts';
import { startTestServer, type TestServer } from './test-server.ts';
import { readTlsFiles } from './tls-files.ts';

describe('TLS on the API listener', { skip: opensslSkipReason ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-tls-'));
  let certs: TestCertificates;
  let s: TestServer;
  let admin = '';

  before(async () => {
    certs = makeTestCertificates(dir);
    s = await startTestServer({
      auth: 'required',
      'tls-cert': certs.certFile,
      'tls-key': certs.keyFile,
    });
    admin = (await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date()))?.key ?? '';
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("/mcp's tools reach the REST API over the server's own TLS", async () => {
    // Only this test's client trusts the CA: the server's own calls must bring their own trust.
    const dispatcher = new Agent({ connect: { ca: certs.caPem } });
    const trusting = ((url: string | URL, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', s.url), {
      requestInit: { headers: { authorization: `Bearer ${admin}` } },
      fetch: trusting,
    });
    const client = new Client({ name: 'paddock-tls-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const listed = await client.callTool({ name: 'sandbox_list', arguments: {} });
      assert.equal(listed.isError ?? false, false, JSON.stringify(listed.content));
    } finally {
      await client.close();
      await dispatcher.close();
    }
  });

  it('serves https only: a client that does not trust the CA is refused, one that does is served', async () => {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const untrusted = createClient({ baseUrl: s.url, token: admin });
    await assert.rejects(untrusted.sandboxes.list({ namespace: 'default' }));
    // From here on this process trusts the test CA, as NODE_EXTRA_CA_CERTS would make it.
    setDefaultCACertificates([...getCACertificates('default'), certs.caPem]);
    const paddock = createClient({ baseUrl: s.url, token: admin });
    assert.deepEqual((await paddock.sandboxes.list({ namespace: 'default' })).items, []);
    const plain = await fetch(s.url.replace('https:', 'http:')).catch((error: Error) => error);
    assert.ok(plain instanceof Error, 'plain http is not answered');
  });

  it('upgrades WebSockets (the terminal) over TLS: wss reaches the terminal route', async () => {
    const socket = new WebSocket(`${s.url.replace('https:', 'wss:')}/ws/terminal/default/absent`, {
      ca: certs.caPem,
      headers: { authorization: `Bearer ${admin}` },
    });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode);
      });
      socket.once('open', () => resolve(101));
      socket.once('error', reject);
    });
    socket.terminate();
    assert.equal(status, 404, 'the route answered: the sandbox does not exist');
  });

  it('--tls-self-signed makes a certificate into the home and serves https with it (a given one wins)', async () => {
    assert.deepEqual(parseServerArgs(['--tls-self-signed']), { 'tls-self-signed': 'true' });
    const own = await startTestServer({ 'tls-self-signed': 'true' });
    try {
      assert.match(own.url, /^https:/);
      const ca = readFileSync(join(own.home, 'tls', 'cert.pem'), 'utf8');
      const dispatcher = new Agent({ connect: { ca } });
      const res = await undiciFetch(`${own.url}/healthz`, { dispatcher });
      assert.equal(res.status, 200);
      await dispatcher.close();
    } finally {
      await own.close();
    }
    const given = resolveConfig({
      flags: { home: dir, 'tls-self-signed': 'true', 'tls-cert': 'a.pem', 'tls-key': 'b.pem' },
      env: {},
    });
    assert.deepEqual(given.tls, { certFile: 'a.pem', keyFile: 'b.pem', isSelfSigned: false });
  });

  it('names the flag or variable of a missing, unreadable, non-PEM or mismatched file', () => {
    const problem = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
      try {
        readTlsFiles(resolveConfig({ flags: { home: dir, ...flags }, env }).tls, '127.0.0.1');
      } catch (error) {
        assert.ok(isPaddockError(error));
        return error.message;
      }
      return assert.fail('resolved');
    };
    assert.match(
      problem({ 'tls-cert': certs.certFile }),
      /--tls-key \/ PADDOCK_TLS_KEY: .*private key/,
    );
    assert.match(
      problem({}, { PADDOCK_TLS_KEY: certs.keyFile }),
      /--tls-cert \/ PADDOCK_TLS_CERT: .*certificate/,
    );
    const absent = join(dir, 'absent.pem');
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    const both = problem({ 'tls-cert': absent, 'tls-key': notPem });
    assert.match(both, /--tls-cert \/ PADDOCK_TLS_CERT: cannot read .*absent\.pem/);
    assert.match(both, /--tls-key \/ PADDOCK_TLS_KEY: .*not\.pem holds no PEM private key/);
    assert.match(
      problem({ 'tls-cert': certs.certFile, 'tls-key': join(dir, 'ca.key') }),
      /--tls-key \/ PADDOCK_TLS_KEY: .*ca\.key is not the private key of .*server\.pem/,
    );
  });
});
