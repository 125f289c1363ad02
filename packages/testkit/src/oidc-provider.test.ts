// The stand-in OIDC provider, driven over HTTP with plain fetch as a browser would: discovery,
// an authorization redirect, the code exchange with PKCE and its refusals, the id token's claims.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type StandInOidc, startStandInOidc } from './oidc-provider.ts';

const CLIENT = 'paddock-ui';
const REDIRECT = 'http://127.0.0.1:9/auth/callback';

type Discovery = { issuer: string; authorization_endpoint: string; token_endpoint: string };

describe('stand-in OIDC provider (authorization code + PKCE)', () => {
  let idp: StandInOidc;
  let discovery: Discovery;

  before(async () => {
    idp = await startStandInOidc({
      clientId: CLIENT,
      user: { sub: 'alice', email: 'alice@example.test', name: 'Alice Example' },
      redirectUris: [REDIRECT],
    });
    const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    discovery = (await res.json()) as Discovery;
  });
  after(async () => {
    await idp.close();
  });

  /** One authorization: the redirect back, read without following it. */
  async function authorize(params: Record<string, string> = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(discovery.authorization_endpoint);
    const query = {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      scope: 'openid profile email',
      state: 'st-1',
      nonce: 'no-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    return { res, verifier, back: location === null ? undefined : new URL(location) };
  }

  const exchange = (form: Record<string, string>) =>
    fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        ...form,
      }),
    });

  it('publishes a discovery document for the code flow with S256', async () => {
    assert.equal(discovery.issuer, idp.issuer);
    const doc = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(doc.response_types_supported, ['code']);
  });

  it('redirects back with a code and the state, and exchanges it for a signed id token', async () => {
    const { res, verifier, back } = await authorize();
    assert.equal(res.status, 302);
    assert.equal(back?.origin + (back?.pathname ?? ''), REDIRECT);
    assert.equal(back?.searchParams.get('state'), 'st-1');
    const code = back?.searchParams.get('code') ?? '';
    assert.ok(code.length > 20);
    assert.equal(idp.authorizations().at(-1)?.nonce, 'no-1');

    const tokens = await exchange({ code, code_verifier: verifier });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.headers.get('access-control-allow-origin'), '*');
    assert.equal(tokens.headers.get('cache-control'), 'no-store');
    const body = (await tokens.json()) as { id_token: string; token_type: string };
    assert.equal(body.token_type, 'Bearer');
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(body.id_token, jwks, {
      issuer: idp.issuer,
      audience: CLIENT,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.nonce, 'no-1');
    assert.equal(payload.email, 'alice@example.test');
    assert.equal(payload.name, 'Alice Example');
    assert.ok(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000);
  });

  it('refuses a wrong verifier, a reused code, another client and another redirect URI', async () => {
    const wrong = await authorize();
    const code = wrong.back?.searchParams.get('code') ?? '';
    const badVerifier = await exchange({ code, code_verifier: 'x'.repeat(43) });
    assert.equal(badVerifier.status, 400);
    assert.equal(((await badVerifier.json()) as { error: string }).error, 'invalid_grant');
    // The failed attempt used the code up.
    const again = await exchange({ code, code_verifier: wrong.verifier });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');

    const good = await authorize();
    const goodCode = good.back?.searchParams.get('code') ?? '';
    assert.equal((await exchange({ code: goodCode, code_verifier: good.verifier })).status, 200);
    const reused = await exchange({ code: goodCode, code_verifier: good.verifier });
    assert.equal(reused.status, 400);
    assert.deepEqual(await reused.json(), {
      error: 'invalid_grant',
      error_description: 'the code was already used',
    });

    const other = await authorize();
    const otherCode = other.back?.searchParams.get('code') ?? '';
    const otherClient = await exchange({
      code: otherCode,
      code_verifier: other.verifier,
      client_id: 'someone-else',
    });
    assert.equal(otherClient.status, 401);
    assert.equal(((await otherClient.json()) as { error: string }).error, 'invalid_client');

    const moved = await authorize();
    const movedRedirect = await exchange({
      code: moved.back?.searchParams.get('code') ?? '',
      code_verifier: moved.verifier,
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
    });
    assert.equal(movedRedirect.status, 400);

    const grant = await exchange({ grant_type: 'password', code: 'x', code_verifier: 'y' });
    assert.equal(((await grant.json()) as { error: string }).error, 'unsupported_grant_type');
  });

  it('requires PKCE S256, never redirects to an unknown client or URI, and can deny', async () => {
    const plain = await authorize({ code_challenge_method: 'plain' });
    assert.equal(plain.back?.searchParams.get('error'), 'invalid_request');
    assert.equal(plain.back?.searchParams.get('state'), 'st-1');
    assert.equal(plain.back?.searchParams.get('code'), null);

    const unknownClient = await authorize({ client_id: 'nobody' });
    assert.equal(unknownClient.res.status, 400);
    assert.equal(unknownClient.back, undefined);
    const foreignRedirect = await authorize({ redirect_uri: 'http://evil.test/cb' });
    assert.equal(foreignRedirect.res.status, 400);
    assert.equal(foreignRedirect.back, undefined);

    idp.denyNext();
    const denied = await authorize();
    assert.equal(denied.back?.searchParams.get('error'), 'access_denied');
    assert.equal(denied.back?.searchParams.get('state'), 'st-1');
    const after = await authorize();
    assert.ok(after.back?.searchParams.get('code'));
  });

  it('refuses an expired code', async () => {
    let clockMs = Date.now();
    const quick = await startStandInOidc({
      clientId: CLIENT,
      user: { sub: 'bob' },
      codeTtlMs: 60_000,
      nowMs: () => clockMs,
    });
    try {
      const verifier = randomBytes(32).toString('base64url');
      const url = new URL(`${quick.issuer}/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const back = new URL(
        (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '',
      );
      clockMs += 60_001;
      const res = await fetch(`${quick.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: back.searchParams.get('code') ?? '',
          code_verifier: verifier,
          client_id: CLIENT,
          redirect_uri: REDIRECT,
        }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error: 'invalid_grant',
        error_description: 'the code has expired',
      });
    } finally {
      await quick.close();
    }
  });
});
