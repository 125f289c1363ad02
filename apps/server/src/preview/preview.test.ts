import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import type { WebSocket } from 'ws';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import {
  createWebTemplate,
  previewUrlOf as mintPreviewUrl,
  portsOf as portsOfSandbox,
} from './preview-test-app.ts';
import {
  exchangePreviewUrl,
  type OpenedPreview,
  previewRequest,
  previewSocket,
} from './preview-test-client.ts';

describe('previews on their own origin, on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const web = uniqueName('web');
  // Too long for a host label `{port}--{name}--{ns}`: reachable by path only.
  const bobweb = uniqueName(`bob${'x'.repeat(50)}`);
  const sockets: WebSocket[] = [];
  let alice: OpenedPreview;
  let bob: OpenedPreview;

  const portsOf = (name: string, token: string) => portsOfSandbox(w, name, token);
  const previewUrlOf = (name: string, token: string, port = 8080) =>
    mintPreviewUrl(w, name, token, port);

  before(async () => {
    w = await startAuthWorld();
    await createWebTemplate(w);
    await Promise.all([
      w.createSandbox(web, w.alice, { kind: 'SandboxTemplate', name: 'web' }),
      w.createSandbox(bobweb, w.bob, { kind: 'SandboxTemplate', name: 'web' }),
    ]);
    alice = await exchangePreviewUrl(await previewUrlOf(web, w.alice));
    bob = await exchangePreviewUrl(await previewUrlOf(bobweb, w.bob));
    for (const opened of [alice, bob]) {
      await eventually(
        async () =>
          (await previewRequest(opened.base, { headers: { cookie: opened.cookie } })).status ===
          200,
        { timeoutMs: 30_000, what: `the app at ${opened.base} answering` },
      );
    }
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await w.s.close();
  });

  it('hands out signed URLs on the preview origin, exchanged for a host-only cookie', async () => {
    const origin = new URL(w.s.server.previewUrl);
    assert.notEqual(origin.port, new URL(w.s.url).port);
    const ports = await portsOf(web, w.alice);
    const url = new URL(ports.find((p) => p.port === 8080)?.previewUrl ?? '');
    assert.equal(url.host, `8080--${web}--default.preview.localhost:${origin.port}`);
    assert.equal(url.pathname, '/');
    assert.ok(url.searchParams.get('paddock_preview'));
    assert.equal(ports.find((p) => p.port === 5432)?.previewUrl, undefined);
    assert.equal(alice.base, `http://${url.host}/`);
    assert.match(
      alice.setCookie,
      /^paddock_preview=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
    );
    assert.match(bob.base, new RegExp(`:${origin.port}/preview/default/${bobweb}/8080/$`));
    assert.match(bob.setCookie, new RegExp(`; Path=/preview/default/${bobweb}/8080/;`));
    const forged = `${url.toString().slice(0, -3)}AAA`;
    assert.equal((await previewRequest(forged)).status, 401);
    assert.equal((await previewRequest(alice.base)).status, 401, 'no cookie, no preview');
    const withKey = await previewRequest(alice.base, {
      headers: { authorization: `Bearer ${w.alice}` },
    });
    assert.equal(withKey.status, 401, 'API keys are not credentials on the preview origin');
    const old = await w.s.call(`/api/v1/namespaces/default/sandboxes/${web}/preview/8080/`, {
      token: w.alice,
    });
    assert.equal(old.status, 404);
    assert.match(await old.text(), /own origin/);
  });

  it('proxies GET and POST to the declared port, without Paddock credentials', async () => {
    const page = await previewRequest(`${alice.base}index.html`, {
      headers: { cookie: alice.cookie },
    });
    assert.equal(page.status, 200);
    assert.equal(page.body, '<h1>hello from the sandbox</h1>\n');
    assert.equal(page.headers['x-app'], web);
    const echo = await previewRequest(`${alice.base}echo/a?b=1`, {
      method: 'POST',
      body: 'payload',
      headers: { cookie: `${alice.cookie}; app=1`, authorization: `Bearer ${w.alice}` },
    });
    assert.equal(echo.status, 200, echo.body);
    const seen = JSON.parse(echo.body) as {
      method: string;
      path: string;
      body: string;
      headers: Record<string, string>;
    };
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/echo/a?b=1');
    assert.equal(seen.body, 'payload');
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers.cookie, 'app=1');
    assert.equal(seen.headers.host, 'localhost:8080');
    assert.equal(seen.headers['x-forwarded-prefix'], undefined);
    assert.deepEqual(echo.headers['set-cookie'], ['app=1']);
    const byPath = await previewRequest(`${bob.base}echo/x`, { headers: { cookie: bob.cookie } });
    assert.equal(byPath.status, 200);
    const bobSeen = JSON.parse(byPath.body) as { path: string; headers: Record<string, string> };
    assert.equal(bobSeen.path, '/echo/x');
    assert.equal(bobSeen.headers['x-forwarded-prefix'], `/preview/default/${bobweb}/8080`);
    const bare = await previewRequest(bob.base.replace(/\/$/, '?x=1'), {
      headers: { cookie: bob.cookie },
    });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, `/preview/default/${bobweb}/8080/?x=1`);
  });

  it('opens only the sandbox port a cookie was made for', async () => {
    const other = alice.base.replace('8080--', '8081--');
    assert.equal((await previewRequest(other, { headers: { cookie: alice.cookie } })).status, 401);
    const bobsOnAlice = await previewRequest(alice.base, { headers: { cookie: bob.cookie } });
    assert.equal(bobsOnAlice.status, 401);
    assert.equal(bobsOnAlice.headers['x-app'], undefined);
    const aliceOnBob = await previewRequest(bob.base, { headers: { cookie: alice.cookie } });
    assert.equal(aliceOnBob.status, 401);
    // A cookie planted by another preview (same name, wider domain) does not shadow the real one.
    const both = await previewRequest(alice.base, {
      headers: { cookie: `${bob.cookie}; ${alice.cookie}` },
    });
    assert.equal(both.status, 200);
    const stranger = await w.s.call(`/api/v1/namespaces/default/sandboxes/${web}/ports`, {
      token: w.bob,
    });
    assert.equal(stranger.status, 404, 'bob cannot get a preview URL for alice sandbox');
    const otherUrl = await previewUrlOf(web, w.alice, 8081);
    const opened = await exchangePreviewUrl(otherUrl);
    const closed = await previewRequest(opened.base, { headers: { cookie: opened.cookie } });
    assert.equal(closed.status, 404, 'declared, but nothing listens on 8081');
  });

  it('never serves the API, the UI or an undeclared port on the preview origin', async () => {
    const origin = w.s.server.previewUrl;
    for (const path of ['/', '/index.html', '/api/v1/namespaces/default/sandboxes', '/healthz']) {
      const res = await previewRequest(`${origin}${path}`, {
        headers: { authorization: `Bearer ${w.admin}` },
      });
      assert.equal(res.status, 404, path);
      assert.match(res.body, /preview origin/);
    }
    const terminal = previewSocket(
      `${origin.replace('http', 'ws')}/ws/terminal/default/${web}`,
      '',
    );
    sockets.push(terminal.ws);
    assert.equal((await terminal.outcome).status, 404);
    const undeclared = alice.base.replace('8080--', '9999--');
    assert.equal(
      (await previewRequest(undeclared, { headers: { cookie: alice.cookie } })).status,
      401,
    );
    assert.equal((await previewRequest(`${origin}/preview/default/${web}/0/`)).status, 404);
  });

  it('keeps traversal attempts inside the sandbox port they name', async () => {
    const mount = `/preview/default/${bobweb}/8080`;
    const climbs = [
      `${mount}/../../../default/${web}/8080/echo`,
      `${mount}/%2e%2e/%2e%2e/%2e%2e/default/${web}/8080/echo`,
      `${mount}/..%2f..%2f..%2fdefault/${web}/8080/echo`,
      `${mount}/../../../../../../../etc/passwd`,
    ];
    for (const path of climbs) {
      const res = await previewRequest(bob.base, { path, headers: { cookie: bob.cookie } });
      assert.notEqual(res.headers['x-app'], web, `${path} reached alice's sandbox`);
      assert.doesNotMatch(res.body, /root:x:0:0/, `${path} read a file`);
    }
    const cookie = { cookie: bob.cookie };
    const encoded = await previewRequest(bob.base, { path: climbs[2] ?? '', headers: cookie });
    assert.equal(encoded.headers['x-app'], bobweb, 'an encoded climb is only a path for the app');
    const normalised = await previewRequest(bob.base, { path: climbs[0] ?? '', headers: cookie });
    assert.equal(normalised.status, 401, 'the normalised path is alice sandbox: not bob cookie');
    const onHost = await previewRequest(alice.base, {
      path: '/../../../etc/passwd',
      headers: { cookie: alice.cookie },
    });
    assert.equal(onHost.headers['x-app'], web);
    assert.doesNotMatch(onHost.body, /root:x:0:0/);
  });

  it('proxies WebSocket upgrades with the cookie, stripped before the app', async () => {
    const url = `${alice.base.replace('http://', 'ws://')}ws?x=1`;
    const { ws, outcome } = previewSocket(url, alice.cookie, ['chat']);
    sockets.push(ws);
    assert.equal((await outcome).status, 101);
    assert.equal(ws.protocol, 'chat');
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('ping');
    assert.equal(await reply, 'echo:ping');
    ws.close();
    const denied = previewSocket(url, bob.cookie);
    sockets.push(denied.ws);
    assert.equal((await denied.outcome).status, 401);
    const tcp = previewSocket(url.replace('8080--', '5432--'), alice.cookie);
    sockets.push(tcp.ws);
    assert.equal((await tcp.outcome).status, 401);
  });

  it('audits previews once per request, with the port', async () => {
    const audit = (await (
      await w.s.call('/api/v1/audit?action=preview&actor=alice&limit=1000', { token: w.admin })
    ).json()) as {
      items: Array<{
        target: unknown;
        result: string;
        details: { port?: number; websocket?: boolean };
      }>;
    };
    assert.ok(audit.items.some((r) => r.details.port === 8080 && r.details.websocket === true));
    const mine = audit.items.filter((r) => r.result === 'success');
    assert.ok(mine.length >= 2 && mine.every((r) => r.target === `Sandbox/default/${web}`));
    assert.ok(
      audit.items.some((r) => r.details.port === 8080 && r.details.websocket === undefined),
    );
  });
});
