// Previews when the API serves https: the preview listener serves the same certificate, mints
// https URLs, proxies a real sandbox port (HTTP and WebSocket) over it and answers no plain http;
// the LLM gateway's listener stays plain http on loopback, where sandboxes reach it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { type Principal, PrincipalVia } from '@paddock/control';
import {
  bwrapSkipReason,
  eventually,
  makeTestCertificates,
  opensslSkipReason,
  type TestCertificates,
} from '@paddock/testkit';
import type { WebSocket } from 'ws';
import { startTestServer } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { coversPreviewHosts, PreviewLinks } from './preview-links.ts';
import { createWebTemplate, previewUrlOf } from './preview-test-app.ts';
import {
  exchangePreviewUrl,
  type OpenedPreview,
  previewRequest,
  previewSocket,
} from './preview-test-client.ts';
import { PreviewSigner } from './preview-token.ts';

/** A plain-http GET: the status, or the error the connection ended with. */
function plainGet(url: string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', resolve);
    req.end();
  });
}

describe('previews over TLS, on the real bubblewrap runtime', {
  skip: bwrapSkipReason() ?? opensslSkipReason ?? false,
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-preview-tls-'));
  const web = uniqueName('web');
  const sockets: WebSocket[] = [];
  let certs: TestCertificates;
  let w: AuthWorld;
  let opened: OpenedPreview;

  before(async () => {
    certs = makeTestCertificates(dir);
    // This process trusts the test CA, as a browser trusting the server's certificate would.
    setDefaultCACertificates([...getCACertificates('default'), certs.caPem]);
    w = await startAuthWorld({ 'tls-cert': certs.certFile, 'tls-key': certs.keyFile });
    await createWebTemplate(w);
    await w.createSandbox(web, w.alice, { kind: 'SandboxTemplate', name: 'web' });
    opened = await exchangePreviewUrl(await previewUrlOf(w, web, w.alice));
    await eventually(
      async () =>
        (await previewRequest(opened.base, { headers: { cookie: opened.cookie } })).status === 200,
      { timeoutMs: 30_000, what: `the app at ${opened.base} answering` },
    );
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await w?.s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mints https preview URLs and serves the sandbox port through them with a Secure cookie', async () => {
    assert.match(w.s.url, /^https:/);
    const origin = new URL(w.s.server.previewUrl);
    assert.equal(origin.protocol, 'https:');
    // The test certificate names 127.0.0.1 but not *.preview.localhost: the path form.
    const minted = new URL(await previewUrlOf(w, web, w.alice));
    assert.equal(minted.origin, origin.origin);
    assert.equal(minted.pathname, `/preview/default/${web}/8080/`);
    assert.equal(opened.base, `${origin.origin}/preview/default/${web}/8080/`);
    assert.match(opened.setCookie, /; HttpOnly; SameSite=Lax; Secure$/);
    const page = await previewRequest(opened.base, { headers: { cookie: opened.cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, /hello from the sandbox/);
    const echo = await previewRequest(`${opened.base}echo`, { headers: { cookie: opened.cookie } });
    const seen = JSON.parse(echo.body) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
  });

  it('upgrades WebSockets through the preview over TLS (wss:)', async () => {
    const url = opened.base.replace(/^https:/, 'wss:');
    assert.match(url, /^wss:/);
    const { ws, outcome } = previewSocket(url, opened.cookie);
    sockets.push(ws);
    assert.equal((await outcome).status, 101);
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('ping');
    assert.equal(await reply, 'echo:ping');
    ws.close();
  });

  it('answers no plain http on the preview listener', async () => {
    const plain = await plainGet(opened.base.replace('https:', 'http:'));
    assert.ok(plain instanceof Error, `plain http was answered with ${String(plain)}`);
  });

  it('keeps the LLM gateway on loopback, in plain http, reached through the host service', async () => {
    const { gateway } = w.s.engine;
    assert.equal(gateway.baseUrl, 'http://gateway.paddock.internal/gateway');
    const { address, port } = gateway.server.address() as AddressInfo;
    assert.equal(address, '127.0.0.1');
    assert.equal(await plainGet(`http://127.0.0.1:${port}/`), 404, 'the gateway answers http');
    assert.ok(!w.s.logs.some((line) => /LLM gateway .* plain http/.test(line)));
  });

  it('says at start when TLS is on and the gateway listens beyond loopback (as on a cluster)', async () => {
    const wide = await startTestServer({
      'tls-cert': certs.certFile,
      'tls-key': certs.keyFile,
      'gateway-addr': '0.0.0.0:0',
    });
    try {
      assert.ok(
        wide.logs.some((line) =>
          /the LLM gateway on 0\.0\.0\.0:[1-9]\d* speaks plain http/.test(line),
        ),
        wide.logs.join('\n'),
      );
    } finally {
      await wide.close();
    }
  });
});

describe('preview links under TLS', { skip: opensslSkipReason ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-preview-links-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const alice: Principal = { id: 'alice', roles: ['user'], via: PrincipalVia.ApiKey };
  const target = { namespace: 'default', name: 'web', port: 8080 };

  it('uses per-port hosts only when the certificate covers *.preview.localhost (--tls-self-signed does)', async () => {
    const own = await startTestServer({ 'tls-self-signed': 'true' });
    const selfSigned = readFileSync(join(own.home, 'tls', 'cert.pem'), 'utf8');
    try {
      // A browser trusting cert.pem reaches a per-port host: the name checks, the listener answers.
      setDefaultCACertificates([...getCACertificates('default'), selfSigned]);
      const port = new URL(own.server.previewUrl).port;
      const host = await previewRequest(`https://8080--web--default.preview.localhost:${port}/`);
      assert.equal(host.status, 401, host.body);
    } finally {
      await own.close();
    }
    const given = readFileSync(makeTestCertificates(dir).certFile, 'utf8');
    assert.equal(coversPreviewHosts(selfSigned), true);
    assert.equal(coversPreviewHosts(given), false);
    const at = { host: '127.0.0.1', port: 7071 };
    const signer = new PreviewSigner();
    const url = (cert: string | undefined) =>
      new URL(new PreviewLinks(signer, at, cert).urlFor(alice, target, undefined, Date.now()));
    assert.equal(url(selfSigned).origin, 'https://8080--web--default.preview.localhost:7071');
    assert.equal(url(given).origin, 'https://127.0.0.1:7071');
    assert.equal(url(given).pathname, '/preview/default/web/8080/');
    assert.equal(url(undefined).origin, 'http://8080--web--default.preview.localhost:7071');
    assert.equal(new PreviewLinks(signer, at, given).origin, 'https://127.0.0.1:7071');
  });
});
