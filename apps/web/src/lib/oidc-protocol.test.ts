/// <reference types="node" />
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  authorizationUrl,
  base64url,
  checkIdToken,
  createPkcePair,
  randomToken,
  readCallback,
  redirectUriFor,
  s256Challenge,
  tokenRequestBody,
} from './oidc-protocol.ts';

/** An unsigned JWT carrying `claims` (only the payload is read by the UI). */
const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('OIDC sign-in protocol (PKCE, URLs, callback checks)', () => {
  it('computes the RFC 7636 appendix B challenge', async () => {
    // The example pair from RFC 7636, Appendix B.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    assert.equal(await s256Challenge(verifier), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes fresh 43-character verifiers whose challenge is their SHA-256', async () => {
    const a = await createPkcePair();
    const b = await createPkcePair();
    assert.notEqual(a.verifier, b.verifier);
    assert.match(a.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(a.challenge, createHash('sha256').update(a.verifier).digest('base64url'));
    assert.match(randomToken(16), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(base64url(new Uint8Array([0xfb, 0xff])), '-_8');
  });

  it('builds the authorization URL with every parameter, keeping the endpoint own query', () => {
    const url = new URL(
      authorizationUrl({
        authorizationEndpoint: 'https://idp.example/authorize?tenant=acme',
        clientId: 'paddock-ui',
        redirectUri: redirectUriFor('https://paddock.example'),
        scopes: 'openid profile email',
        state: 's1',
        nonce: 'n1',
        codeChallenge: 'c1',
      }),
    );
    assert.equal(url.origin + url.pathname, 'https://idp.example/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      tenant: 'acme',
      response_type: 'code',
      client_id: 'paddock-ui',
      redirect_uri: 'https://paddock.example/auth/callback',
      scope: 'openid profile email',
      state: 's1',
      nonce: 'n1',
      code_challenge: 'c1',
      code_challenge_method: 'S256',
    });
  });

  it('builds the code exchange form of a public client', () => {
    const body = tokenRequestBody({
      code: 'abc',
      verifier: 'v',
      clientId: 'paddock-ui',
      redirectUri: 'https://paddock.example/auth/callback',
    });
    assert.deepEqual(Object.fromEntries(body), {
      grant_type: 'authorization_code',
      code: 'abc',
      code_verifier: 'v',
      client_id: 'paddock-ui',
      redirect_uri: 'https://paddock.example/auth/callback',
    });
  });

  it('accepts a callback with our state and a code, and refuses the rest', () => {
    assert.deepEqual(readCallback('?code=xyz&state=s1', 's1'), { code: 'xyz' });
    const code = (search: string, state: string | undefined) => {
      const result = readCallback(search, state);
      return 'failure' in result ? result.failure.code : 'ok';
    };
    assert.equal(code('?code=xyz&state=other', 's1'), 'state_mismatch');
    assert.equal(code('?code=xyz', 's1'), 'state_mismatch');
    assert.equal(code('?code=xyz&state=s1', undefined), 'no_pending_sign_in');
    assert.equal(code('?state=s1', 's1'), 'no_code');
    assert.equal(code('?error=access_denied&state=s1', 's1'), 'access_denied');
    // A provider error with a forged state is a state mismatch, not the provider's word.
    assert.equal(code('?error=access_denied&state=x', 's1'), 'state_mismatch');
    const denied = readCallback('?error=access_denied&error_description=no&state=s1', 's1');
    assert.ok('failure' in denied && /denied/.test(denied.failure.message));
  });

  it("checks the id token's nonce and expiry", () => {
    const nowSec = 1_700_000_000;
    const good = jwt({ sub: 'alice', nonce: 'n1', exp: nowSec + 60 });
    assert.equal(checkIdToken(good, { nonce: 'n1', nowSec }), undefined);
    assert.equal(checkIdToken(good, { nonce: 'n2', nowSec })?.code, 'nonce_mismatch');
    const noNonce = jwt({ sub: 'alice', exp: nowSec + 60 });
    assert.equal(checkIdToken(noNonce, { nonce: 'n1', nowSec })?.code, 'nonce_mismatch');
    const old = jwt({ sub: 'alice', nonce: 'n1', exp: nowSec - 1 });
    assert.equal(checkIdToken(old, { nonce: 'n1', nowSec })?.code, 'expired');
    assert.equal(checkIdToken('not-a-jwt', { nonce: 'n1', nowSec })?.code, 'invalid_id_token');
  });
});
