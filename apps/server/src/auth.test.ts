import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateApiKey } from '@paddock/control';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { bootstrapAdminKey } from './bootstrap-key.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

describe('auth, ownership, audit and rate limits', () => {
  let s: TestServer;
  let idp: Server;
  let issuer = '';
  let admin = '';
  let sign: (claims: Record<string, unknown>, forged?: boolean) => Promise<string>;

  before(async () => {
    const real = await generateKeyPair('RS256', { extractable: true });
    const fake = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(real.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
      else res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    sign = (claims, forged = false) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: 'paddock', iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(forged ? fake.privateKey : real.privateKey);
    };
    s = await startTestServer({
      'oidc-issuer': issuer,
      'oidc-audience': 'paddock',
      'rate-limit': '0.5',
      'rate-burst': '40',
    });
    const boot = await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date());
    admin = boot?.key ?? '';
    assert.ok(admin.startsWith('pdk_'));
  });
  after(async () => {
    await s.close();
    await new Promise((resolve) => idp.close(resolve));
  });

  const sandbox = (name: string) =>
    JSON.stringify({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name },
      spec: {
        templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        desiredState: 'Stopped',
      },
    });

  it('refuses no token, a wrong token, expired and forged JWTs; audits the failures', async () => {
    const none = await s.call('/api/v1/users/me');
    assert.equal(none.status, 401);
    const noneBody = (await none.json()) as { error: { code: string; requestId: string } };
    assert.equal(noneBody.error.code, 'unauthenticated');
    assert.equal((await s.call('/api/v1/users/me', { token: generateApiKey().key })).status, 401);
    assert.equal((await s.call('/api/v1/users/me', { token: 'garbage' })).status, 401);
    assert.equal(
      (
        await s.call('/api/v1/users/me', {
          token: await sign({ sub: 'eve', exp: Math.floor(Date.now() / 1000) - 3600 }),
        })
      ).status,
      401,
    );
    assert.equal(
      (await s.call('/api/v1/users/me', { token: await sign({ sub: 'eve' }, true) })).status,
      401,
    );
    const good = await s.call('/api/v1/users/me', { token: await sign({ sub: 'carol' }) });
    assert.deepEqual(await good.json(), { id: 'carol', role: 'user', authMethod: 'oidc' });
    const audit = await s.call(`/api/v1/audit?action=auth.failure`, { token: admin });
    const records = (await audit.json()) as { items: Array<{ requestId: string; result: string }> };
    assert.ok(
      records.items.some((r) => r.requestId === noneBody.error.requestId && r.result === 'denied'),
    );
  });

  it('issues keys shown once, lists them without secrets, and a revoked key stops working', async () => {
    const created = await s.call('/api/v1/apikeys', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ name: 'alice laptop', owner: 'alice', role: 'user' }),
    });
    assert.equal(created.status, 201);
    const { key, apiKey } = (await created.json()) as { key: string; apiKey: { id: string } };
    assert.deepEqual(await (await s.call('/api/v1/users/me', { token: key })).json(), {
      id: 'alice',
      role: 'user',
      authMethod: 'apikey',
    });
    const listed = await (await s.call('/api/v1/apikeys', { token: key })).text();
    assert.ok(listed.includes(apiKey.id));
    assert.ok(!listed.includes(key.slice(12)), 'no secret in the list');
    const escalate = await s.call('/api/v1/apikeys', {
      method: 'POST',
      token: key,
      body: JSON.stringify({ name: 'x', role: 'admin' }),
    });
    assert.equal(escalate.status, 403);
    assert.equal(
      (await s.call(`/api/v1/apikeys/${apiKey.id}`, { method: 'DELETE', token: key })).status,
      200,
    );
    assert.equal((await s.call('/api/v1/users/me', { token: key })).status, 401);
    const uses = (await (await s.call(`/api/v1/audit?actor=alice`, { token: admin })).json()) as {
      items: Array<{ action: string; details: { keyId?: string } }>;
    };
    assert.ok(
      uses.items.some((r) => r.action === 'apikey.use' && r.details.keyId === apiKey.id),
      'key use audited',
    );
    assert.ok(uses.items.some((r) => r.action === 'apikey.revoke'));
  });

  it("hides another user's sandbox (404) and lets its owner and admins see it; templates are admin-written", async () => {
    const bob = await sign({ sub: 'bob' });
    const dave = await sign({ sub: 'dave' });
    const created = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      token: bob,
      body: sandbox('bobs'),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const owner = ((await created.json()) as { metadata: { annotations: Record<string, string> } })
      .metadata.annotations['paddock.dev/owner'];
    assert.equal(owner, 'bob');
    assert.equal(
      (await s.call('/api/v1/namespaces/default/sandboxes/bobs', { token: bob })).status,
      200,
    );
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/default/sandboxes/bobs'],
      ['DELETE', '/api/v1/namespaces/default/sandboxes/bobs'],
      ['POST', '/api/v1/namespaces/default/sandboxes/bobs/exec'],
      ['GET', '/api/v1/namespaces/default/sandboxes/bobs/files?path=/workspace/x'],
    ] as const) {
      const res = await s.call(path, {
        method,
        token: dave,
        ...(method === 'POST' ? { body: JSON.stringify({ command: ['true'] }) } : {}),
      });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    const list = (await (await s.call('/api/v1/sandboxes', { token: dave })).json()) as {
      items: unknown[];
    };
    assert.equal(list.items.length, 0);
    assert.equal(
      (await s.call('/api/v1/namespaces/default/sandboxes/bobs', { token: admin })).status,
      200,
    );
    const template = JSON.stringify({
      apiVersion: API,
      kind: 'ClusterSandboxTemplate',
      metadata: { name: 'mine' },
      spec: {},
    });
    assert.equal(
      (
        await s.call('/api/v1/clustersandboxtemplates', {
          method: 'POST',
          token: dave,
          body: template,
        })
      ).status,
      403,
    );
    assert.equal(
      (await s.call('/api/v1/clustersandboxtemplates/shell', { token: dave })).status,
      200,
    );
  });

  it("ends an OIDC token's event stream when the token expires", { timeout: 15_000 }, async () => {
    // `exp` 58 s ago: accepted for 2 s more thanks to the 60 s of clock skew allowed.
    const token = await sign({ sub: 'dave', exp: Math.floor(Date.now() / 1000) - 58 });
    const res = await fetch(`${s.url}/api/v1/namespaces/default/sandboxes?watch=true`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    let text = '';
    try {
      for await (const chunk of res.body ?? []) text += new TextDecoder().decode(chunk);
    } catch {
      // The server destroyed the connection: ended all the same.
    }
    assert.match(text, /stream open/, 'the stream was open until the token expired');
    const again = await s.call('/api/v1/users/me', { token });
    assert.equal(again.status, 401);
    await again.body?.cancel();
  });

  it('rate-limits per principal with 429 and Retry-After', async () => {
    const { key } = (await (
      await s.call('/api/v1/apikeys', {
        method: 'POST',
        token: admin,
        body: JSON.stringify({ name: 'burst', owner: 'burst', role: 'user' }),
      })
    ).json()) as { key: string };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 45; i++) {
      const res = await s.call('/api/v1/users/me', { token: key });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    assert.ok(statuses.includes(429), 'some requests are limited');
    assert.ok(Number(retryAfter) >= 1);
    assert.equal(
      (await s.call('/api/v1/users/me', { token: admin })).status,
      200,
      'other principals are not',
    );
  });
});
