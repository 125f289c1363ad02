// GET /api/v1/auth/config: how a browser may sign in, public and without secrets; and the UI's
// Content-Security-Policy letting it reach the OIDC provider only when SSO is configured.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthConfig } from '@paddock/api';
import { resolveConfig } from './config.ts';
import { startTestServer } from './test-server.ts';

const ISSUER = 'https://idp.example.test/realms/acme';

describe('sign-in configuration', () => {
  it('offers API keys only without an OIDC client', async () => {
    const s = await startTestServer({ auth: 'required' });
    try {
      const res = await s.call('/api/v1/auth/config');
      assert.equal(res.status, 200);
      assert.deepEqual(AuthConfig.parse(await res.json()), { methods: ['apikey'] });
      const csp = (await s.call('/')).headers.get('content-security-policy') ?? '';
      assert.match(csp, /connect-src 'self' ws: wss:;/);
    } finally {
      await s.close();
    }
  });

  it('offers SSO with the public client, unauthenticated, and lets the UI reach the issuer', async () => {
    const s = await startTestServer({
      'oidc-issuer': ISSUER,
      'oidc-audience': 'paddock-ui',
      'oidc-client-id': 'paddock-ui',
      'oidc-scopes': 'openid email groups',
    });
    try {
      const res = await s.call('/api/v1/auth/config');
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        methods: ['apikey', 'oidc'],
        oidc: { issuer: ISSUER, clientId: 'paddock-ui', scopes: 'openid email groups' },
      });
      const csp = (await s.call('/')).headers.get('content-security-policy') ?? '';
      assert.match(csp, /connect-src 'self' ws: wss: https:\/\/idp\.example\.test;/);
    } finally {
      await s.close();
    }
  });

  it('defaults the scopes and refuses a client id without an issuer', () => {
    const flags = { 'oidc-issuer': ISSUER, 'oidc-audience': 'ui' };
    const config = resolveConfig({ flags, env: { PADDOCK_OIDC_CLIENT_ID: 'ui' } });
    assert.equal(config.oidcClientId, 'ui');
    assert.equal(config.oidcScopes, 'openid profile email');
    assert.throws(
      () => resolveConfig({ flags: { 'oidc-client-id': 'ui' }, env: {} }),
      /--oidc-client-id: an OIDC client id needs --oidc-issuer/,
    );
  });
});
