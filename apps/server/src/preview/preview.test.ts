import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason } from '@paddock/testkit';
import { API, eventually } from '../test-server.ts';
import { BEARER_PROTOCOL_PREFIX } from '../ws/credential.ts';
import {
  type AuthWorld,
  openSocket,
  startAuthWorld,
  type TestSocket,
  uniqueName,
} from '../ws/test-users.ts';

const APP = readFileSync(new URL('./preview-app.py', import.meta.url), 'utf8');

/** A raw GET whose path the client does not normalise (fetch would resolve `..` itself). */
function rawGet(base: string, path: string, token: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      req.path = path;
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('preview proxy on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const web = uniqueName('web');
  const bobweb = uniqueName('bobweb');
  const sockets: TestSocket[] = [];
  const prefix = (name: string, port = 8080) =>
    `/api/v1/namespaces/default/sandboxes/${name}/preview/${port}`;

  before(async () => {
    w = await startAuthWorld();
    const template = await w.s.call('/api/v1/namespaces/default/sandboxtemplates', {
      method: 'POST',
      token: w.admin,
      body: JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'web' },
        spec: {
          inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
          files: [
            { path: '/workspace/app.py', content: APP },
            { path: '/workspace/index.html', content: '<h1>hello from the sandbox</h1>\n' },
          ],
          command: ['python3', '/workspace/app.py', '8080'],
          ports: [
            { name: 'web', port: 8080, protocol: 'http' },
            { name: 'db', port: 5432, protocol: 'tcp' },
          ],
        },
      }),
    });
    assert.equal(template.status, 201, await template.clone().text());
    await Promise.all([
      w.createSandbox(web, w.alice, { kind: 'SandboxTemplate', name: 'web' }),
      w.createSandbox(bobweb, w.bob, { kind: 'SandboxTemplate', name: 'web' }),
    ]);
    for (const [name, token] of [
      [web, w.alice],
      [bobweb, w.bob],
    ] as const) {
      await eventually(
        async () =>
          (await w.s.call(`${prefix(name)}/`, { token })).status === 200 ? true : undefined,
        30_000,
        `the app of ${name} answering`,
      );
    }
  });
  after(async () => {
    for (const s of sockets) s.ws.terminate();
    await w.s.close();
  });

  it('proxies GET and POST to the declared port, without Paddock credentials', async () => {
    const page = await w.s.call(`${prefix(web)}/index.html`, { token: w.alice });
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<h1>hello from the sandbox</h1>\n');
    assert.equal(page.headers.get('x-app'), web);
    const echo = await w.s.call(`${prefix(web)}/echo/a?b=1&paddock_token=${w.alice}`, {
      method: 'POST',
      body: 'payload',
      headers: { cookie: 'paddock_session=secret; app=1', host: 'elsewhere.example' },
      token: w.alice,
    });
    assert.equal(echo.status, 200);
    const seen = (await echo.json()) as {
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
    assert.equal(seen.headers['x-forwarded-prefix'], prefix(web));
    assert.deepEqual(echo.headers.getSetCookie(), ['app=1']);
    const bare = await w.s.call(`${prefix(web)}?x=1`, { token: w.alice, redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), `${prefix(web)}/?x=1`);
    const viaQuery = await w.s.call(`${prefix(web)}/index.html?paddock_token=${w.alice}`);
    assert.equal(viaQuery.status, 200);
  });

  it('refuses undeclared and tcp ports, strangers, and unauthenticated callers', async () => {
    const undeclared = await w.s.call(`${prefix(web, 9999)}/`, { token: w.alice });
    assert.equal(undeclared.status, 404);
    assert.match(await undeclared.text(), /port 9999 is not an http port/);
    assert.equal((await w.s.call(`${prefix(web, 5432)}/`, { token: w.alice })).status, 404);
    assert.equal((await w.s.call(`${prefix(web, 0)}/`, { token: w.alice })).status, 404);
    assert.equal((await w.s.call(`${prefix(web)}/`)).status, 401);
    const stranger = await w.s.call(`${prefix(web)}/`, { token: w.bob });
    assert.equal(stranger.status, 404);
    assert.equal(stranger.headers.get('x-app'), null);
  });

  it('keeps traversal attempts inside the sandbox port they name', async () => {
    const climbs = [
      `${prefix(web)}/../../../${bobweb}/preview/8080/echo`,
      `${prefix(web)}/%2e%2e/%2e%2e/%2e%2e/${bobweb}/preview/8080/echo`,
      `${prefix(web)}/..%2f..%2f..%2f${bobweb}/preview/8080/echo`,
      `${prefix(web)}/8080/../../../../../../../etc/passwd`,
    ];
    for (const path of climbs) {
      const res = await rawGet(w.s.url, path, w.alice);
      assert.notEqual(res.headers['x-app'], bobweb, `${path} reached bob's sandbox`);
      assert.doesNotMatch(res.body, /root:x:0:0/, `${path} read a file`);
    }
    const encoded = await rawGet(w.s.url, climbs[2] ?? '', w.alice);
    assert.equal(encoded.headers['x-app'], web, 'an encoded climb is only a path for the app');
    const normalised = await rawGet(w.s.url, climbs[0] ?? '', w.alice);
    assert.equal(normalised.status, 404, 'the normalised path is bob sandbox, invisible to alice');
  });

  it('proxies WebSocket upgrades, with the bearer subprotocol stripped', async () => {
    const url = `${w.s.url.replace('http://', 'ws://')}${prefix(web)}/ws?x=1`;
    const { socket, opened } = openSocket(url, {
      protocols: [`${BEARER_PROTOCOL_PREFIX}${w.alice}`, 'chat'],
    });
    sockets.push(socket);
    await opened;
    assert.equal(socket.ws.protocol, 'chat');
    const reply = new Promise<string>((resolve) =>
      socket.ws.once('message', (data) => resolve(String(data))),
    );
    socket.ws.send('ping');
    assert.equal(await reply, 'echo:ping');
    socket.ws.close();
    assert.equal((await socket.closed).code, 1005);
    const denied = openSocket(url, { token: w.bob });
    sockets.push(denied.socket);
    assert.equal((await denied.refused).status, 404);
    const closedPort = openSocket(url.replace('/8080/', '/5432/'), { token: w.alice });
    sockets.push(closedPort.socket);
    assert.equal((await closedPort.refused).status, 404);
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
