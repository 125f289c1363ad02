// A preview credential never outlives the credential it was made from (an OIDC token's `exp`, an
// API key's expiry), and carries that expiry back so what it opens ends then too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Principal, PrincipalVia } from '@paddock/control';
import { Role } from '@paddock/core';
import { PREVIEW_SESSION_TTL_MS, PreviewSigner, PreviewUse } from './preview-token.ts';

const scope = { namespace: 'default', name: 'web', port: 8080, mode: 'path' } as const;
const NOW_MS = 1_800_000_000_000;

describe('PreviewSigner', () => {
  it("caps a cookie at its caller's token expiry and hands the expiry back", () => {
    const signer = new PreviewSigner();
    const expiresAtMs = NOW_MS + 60_000;
    const sso: Principal = { id: 'carol', roles: [Role.User], via: PrincipalVia.Oidc, expiresAtMs };
    const cookie = signer.sign(sso, scope, PreviewUse.Session, NOW_MS);
    assert.deepEqual(signer.verify(cookie, scope, PreviewUse.Session, NOW_MS + 1_000), sso);
    assert.equal(
      signer.verify(cookie, scope, PreviewUse.Session, expiresAtMs),
      undefined,
      'the cookie died with the token',
    );
  });

  it('keeps its own lifetime for a caller whose credential does not expire', () => {
    const signer = new PreviewSigner();
    const alice: Principal = { id: 'alice', roles: [Role.User], via: PrincipalVia.ApiKey };
    const cookie = signer.sign({ ...alice, keyId: 'pdk_k1' }, scope, PreviewUse.Session, NOW_MS);
    const later = NOW_MS + PREVIEW_SESSION_TTL_MS - 1;
    assert.deepEqual(signer.verify(cookie, scope, PreviewUse.Session, later), {
      ...alice,
      keyId: 'pdk_k1',
    });
    assert.equal(signer.verify(cookie, scope, PreviewUse.Session, later + 1), undefined);
  });
});
