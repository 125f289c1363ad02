import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { createOidcVerifier, type OidcVerifierOptions } from './oidc.ts';

type SigningKey = { kid: string; alg: 'RS256' | 'ES256'; privateKey: CryptoKey; jwk: JWK };

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A stand-in identity provider: discovery document and JWKS over real HTTP, counting requests. */
const idp = {
  server: undefined as Server | undefined,
  issuer: '',
  published: [] as JWK[],
  requests: { discovery: 0, jwks: 0 },
};

const START_SEC = 1_750_000_000;
let nowMs = START_SEC * 1000;
const nowSec = () => Math.floor(nowMs / 1000);
let rsa: SigningKey;
let ec: SigningKey;
let stranger: SigningKey;

before(async () => {
  rsa = await signingKey('rsa-1', 'RS256');
  ec = await signingKey('ec-1', 'ES256');
  stranger = await signingKey('rsa-1', 'RS256');
  const server = createServer((req, res) => {
    if (req.url === '/realm/.well-known/openid-configuration') {
      idp.requests.discovery++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: idp.issuer, jwks_uri: `${idp.issuer}/keys` }));
    } else if (req.url === '/realm/keys') {
      idp.requests.jwks++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: idp.published }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  idp.server = server;
  idp.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realm`;
});

after(async () => {
  await new Promise((resolve) => idp.server?.close(resolve));
});

beforeEach(() => {
  idp.published = [rsa.jwk, ec.jwk];
  idp.requests = { discovery: 0, jwks: 0 };
  nowMs = START_SEC * 1000;
});

function verifier(extra: Partial<OidcVerifierOptions> = {}) {
  return createOidcVerifier({
    issuer: idp.issuer,
    audience: 'paddock',
    now: () => new Date(nowMs),
    ...extra,
  });
}

/** Signs a token with default claims; a claim given as `undefined` is left out. */
async function token(
  claims: Record<string, unknown> = {},
  { key = rsa, kid = key.kid }: { key?: SigningKey; kid?: string } = {},
): Promise<string> {
  const defaults = {
    iss: idp.issuer,
    aud: 'paddock',
    sub: 'alice',
    iat: nowSec(),
    exp: nowSec() + 300,
  };
  const payload: JWTPayload = Object.fromEntries(
    Object.entries({ ...defaults, ...claims }).filter(([, value]) => value !== undefined),
  );
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid }).sign(key.privateKey);
}

async function assertRefused(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPaddockError(error, ErrorCode.Unauthenticated), String(error));
    assert.equal(error.details.reason, reason, error.message);
    assert.equal(error.message.includes('\n    at '), false);
    return true;
  });
}

describe('OIDC verifier', () => {
  it('accepts a valid RS256 or ES256 token, with roles from the roles or groups claim', async () => {
    const oidc = verifier();
    // Accepted until `exp` (300 s from now) plus the default skew of 60 s.
    const expiresAtMs = (nowSec() + 300 + 60) * 1000;
    assert.deepEqual(await oidc.verify(await token()), {
      id: 'alice',
      roles: ['user'],
      via: 'oidc',
      expiresAtMs,
    });
    const admin = await token({ sub: 'root', groups: ['devs', 'paddock-admin'] }, { key: ec });
    assert.deepEqual(await oidc.verify(admin), {
      id: 'root',
      roles: ['user', 'admin'],
      via: 'oidc',
      expiresAtMs,
    });
    assert.deepEqual((await oidc.verify(await token({ roles: 'paddock-admin other' }))).roles, [
      'user',
      'admin',
    ]);
    const custom = verifier({ rolesClaims: ['realm_access.roles'], adminValues: ['boss'] });
    assert.deepEqual(
      (await custom.verify(await token({ realm_access: { roles: ['boss'] } }))).roles,
      ['user', 'admin'],
    );
    assert.deepEqual((await custom.verify(await token({ groups: ['paddock-admin'] }))).roles, [
      'user',
    ]);
  });

  it('discovers the key set once and serves later verifications from the cache', async () => {
    const oidc = verifier();
    await oidc.verify(await token());
    assert.deepEqual(idp.requests, { discovery: 1, jwks: 1 });
    nowMs += 60_000;
    await oidc.verify(await token({ sub: 'bob' }, { key: ec }));
    assert.deepEqual(idp.requests, { discovery: 1, jwks: 1 });
    nowMs += 10 * 60_000;
    await oidc.verify(await token());
    assert.deepEqual(idp.requests, { discovery: 1, jwks: 2 }, 'refetched after the cache max age');
  });

  it('uses a configured jwksUrl without discovery', async () => {
    await verifier({ jwksUrl: `${idp.issuer}/keys` }).verify(await token());
    assert.deepEqual(idp.requests, { discovery: 0, jwks: 1 });
  });

  it('refuses expired, not-yet-valid and future-issued tokens beyond the clock skew', async () => {
    const oidc = verifier({ clockSkewSec: 60 });
    await assertRefused(oidc.verify(await token({ exp: nowSec() - 61 })), 'expired');
    await assertRefused(oidc.verify(await token({ nbf: nowSec() + 61 })), 'not_yet_valid');
    await assertRefused(oidc.verify(await token({ iat: nowSec() + 61 })), 'issued_in_future');
    await assertRefused(oidc.verify(await token({ exp: undefined })), 'missing_claim');
  });

  it('tolerates clock skew on both sides', async () => {
    const oidc = verifier({ clockSkewSec: 60 });
    assert.equal((await oidc.verify(await token({ exp: nowSec() - 50 }))).id, 'alice');
    assert.equal(
      (await oidc.verify(await token({ nbf: nowSec() + 50, iat: nowSec() + 50 }))).id,
      'alice',
    );
    const strict = verifier({ clockSkewSec: 0 });
    await assertRefused(strict.verify(await token({ exp: nowSec() - 1 })), 'expired');
  });

  it('refuses another issuer, another audience and a missing subject', async () => {
    const oidc = verifier();
    await assertRefused(oidc.verify(await token({ iss: 'https://evil.example' })), 'wrong_issuer');
    await assertRefused(oidc.verify(await token({ aud: 'someone-else' })), 'wrong_audience');
    await assertRefused(oidc.verify(await token({ sub: undefined })), 'missing_claim');
    assert.equal((await oidc.verify(await token({ aud: ['x', 'paddock'] }))).id, 'alice');
  });

  it('refuses a forged signature, alg none and garbage', async () => {
    const oidc = verifier();
    await assertRefused(oidc.verify(await token({}, { key: stranger })), 'bad_signature');
    const genuine = await token();
    const [, payload] = genuine.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url')}.${payload}.`;
    await assertRefused(oidc.verify(none), 'unsupported_algorithm');
    const tampered = genuine.replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ sub: 'root', iss: idp.issuer, aud: 'paddock', exp: nowSec() + 300 })).toString('base64url')}.`,
    );
    await assertRefused(oidc.verify(tampered), 'bad_signature');
    await assertRefused(oidc.verify('not.a.jwt'), 'malformed_token');
    assert.equal((await oidc.verify(genuine)).id, 'alice');
  });

  it('refetches the key set once for an unknown kid, rate-limited, and picks up a rotated key', async () => {
    const oidc = verifier({ jwksRefetchCooldownMs: 30_000 });
    await oidc.verify(await token());
    assert.equal(idp.requests.jwks, 1);
    const rotated = await signingKey('rsa-2', 'RS256');
    nowMs += 31_000;
    await assertRefused(oidc.verify(await token({}, { key: rotated })), 'unknown_key');
    assert.equal(idp.requests.jwks, 2, 'one refetch for the unknown kid');
    await assertRefused(oidc.verify(await token({}, { key: rotated })), 'unknown_key');
    assert.equal(idp.requests.jwks, 2, 'no refetch within the cooldown');
    idp.published = [rsa.jwk, rotated.jwk];
    nowMs += 31_000;
    assert.equal((await oidc.verify(await token({}, { key: rotated }))).id, 'alice');
    assert.equal(idp.requests.jwks, 3);
  });

  it('refuses when the keys cannot be fetched, and does not cache the failure', async () => {
    const down = verifier({ jwksUrl: `${idp.issuer}/missing` });
    await assertRefused(down.verify(await token()), 'keys_unavailable');
    const mismatched = createOidcVerifier({
      issuer: `${idp.issuer}/`,
      audience: 'paddock',
      now: () => new Date(nowMs),
    });
    await assertRefused(
      mismatched.verify(await token({ iss: `${idp.issuer}/` })),
      'keys_unavailable',
    );
    idp.published = [];
    const oidc = verifier();
    await assertRefused(oidc.verify(await token()), 'unknown_key');
    idp.published = [rsa.jwk];
    nowMs += 31_000;
    assert.equal((await oidc.verify(await token())).id, 'alice');
  });

  it('refuses bad options as validation_failed', () => {
    assert.throws(
      () => createOidcVerifier({ issuer: 'not a url', audience: 'x' }),
      (error) => isPaddockError(error, ErrorCode.ValidationFailed),
    );
    assert.throws(
      () => createOidcVerifier({ issuer: 'https://idp.example', audience: [] }),
      (error) => isPaddockError(error, ErrorCode.ValidationFailed),
    );
  });
});
