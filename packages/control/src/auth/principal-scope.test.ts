import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isPaddockError, type RunGrant } from '@paddock/core';
import { openSqliteApiKeyStore } from '@paddock/store-sqlite';
import { createAuthenticator, type RunTokenVerifier } from './authenticator.ts';
import type { Principal } from './principal.ts';
import { RequestChannel, requireInScope, type ScopedRequest } from './principal-scope.ts';

const GRANT: RunGrant = { runUid: 'u-1', namespace: 'team-a', runName: 'fix', user: 'alice' };

/** When `pgt_expiring` stops being accepted. */
const EXPIRES_AT_MS = Date.parse('2031-01-01T00:00:00Z');

/** Knows a good token, one that expires, and one of a run that has finished. */
const verifier: RunTokenVerifier = {
  prefix: 'pgt_',
  verify: async (token) => {
    if (token === 'pgt_good') return { grant: GRANT };
    if (token === 'pgt_expiring') return { grant: GRANT, expiresAtMs: EXPIRES_AT_MS };
    return undefined;
  },
};

const dir = mkdtempSync(join(tmpdir(), 'paddock-scope-'));
const keys = await openSqliteApiKeyStore({ path: join(dir, 'paddock.db') });
after(async () => {
  await keys.close();
  rmSync(dir, { recursive: true, force: true });
});

const scoped: Principal = {
  id: 'alice',
  roles: ['user'],
  via: 'run-token',
  scope: { namespace: 'team-a', run: 'team-a/fix', runUid: 'u-1' },
};
const api = (method: string, namespace: string | undefined, operation?: string): ScopedRequest => ({
  channel: RequestChannel.Api,
  method,
  namespace,
  ...(operation === undefined ? {} : { operation }),
});

function assertForbidden(request: ScopedRequest, words: RegExp) {
  assert.throws(
    () => requireInScope(scoped, request),
    (error: unknown) => {
      assert.ok(isPaddockError(error, ErrorCode.Forbidden), String(error));
      assert.match(error.message, /read-only in namespace team-a/);
      assert.match(error.message, words);
      assert.deepEqual(error.details.scope, { namespace: 'team-a', access: 'read' });
      return true;
    },
  );
}

describe('run tokens as principals', () => {
  it('acts for the run’s owner with the user role only, scoped to the run’s namespace', async () => {
    const auth = createAuthenticator({
      apiKeys: keys,
      allowAnonymousAdmin: true,
      runTokens: verifier,
    });
    const principal = await auth.authenticate('Bearer pgt_good');
    assert.deepEqual(principal, scoped);
  });

  it('says when the run token stops being accepted, so what it opened can end then', async () => {
    const auth = createAuthenticator({
      apiKeys: keys,
      allowAnonymousAdmin: false,
      runTokens: verifier,
    });
    const principal = await auth.authenticate('Bearer pgt_expiring');
    assert.deepEqual(principal, { ...scoped, expiresAtMs: EXPIRES_AT_MS });
  });

  it('refuses a token the verifier does not vouch for, even when anonymous access is allowed', async () => {
    const auth = createAuthenticator({
      apiKeys: keys,
      allowAnonymousAdmin: true,
      runTokens: verifier,
    });
    await assert.rejects(auth.authenticate('Bearer pgt_forged'), (error: unknown) => {
      assert.ok(isPaddockError(error, ErrorCode.Unauthenticated), String(error));
      assert.equal(error.details.reason, 'invalid_run_token');
      return true;
    });
  });

  it('without a verifier a run token is just an unknown bearer token', async () => {
    const auth = createAuthenticator({ apiKeys: keys, allowAnonymousAdmin: false });
    await assert.rejects(auth.authenticate('Bearer pgt_good'), (error: unknown) => {
      assert.ok(isPaddockError(error, ErrorCode.Unauthenticated), String(error));
      assert.equal(error.details.reason, 'oidc_not_configured');
      return true;
    });
  });

  it('never confirms a run token’s principal for a preview', async () => {
    const auth = createAuthenticator({
      apiKeys: keys,
      allowAnonymousAdmin: false,
      runTokens: verifier,
    });
    const { scope: _scope, ...carried } = scoped;
    for (const principal of [scoped, carried]) {
      await assert.rejects(auth.confirm(principal), (error: unknown) =>
        isPaddockError(error, ErrorCode.Forbidden),
      );
    }
  });
});

describe('requireInScope', () => {
  it('lets unscoped principals through whatever they ask', () => {
    const alice: Principal = { id: 'alice', roles: ['user'], via: 'api-key' };
    requireInScope(alice, { channel: RequestChannel.Terminal, method: 'GET', namespace: 'x' });
    requireInScope(alice, api('DELETE', undefined));
  });

  it('allows reads in its namespace and reads about the caller', () => {
    requireInScope(scoped, api('GET', 'team-a', 'listSandbox'));
    requireInScope(scoped, api('head', 'team-a', 'getSandbox'));
    requireInScope(scoped, api('GET', 'team-a', 'listSandboxFiles'));
    requireInScope(scoped, api('GET', undefined, 'getCurrentUser'));
    requireInScope(scoped, api('GET', undefined, 'listKinds'));
  });

  it('refuses writes, even in its namespace', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      assertForbidden(
        api(method, 'team-a', 'createSandbox'),
        new RegExp(`${method} is not a read`),
      );
    }
  });

  it('refuses another namespace, lists across namespaces and cluster-scoped objects', () => {
    assertForbidden(api('GET', 'team-b', 'listSandbox'), /namespace team-b is out of scope/);
    assertForbidden(api('GET', undefined, 'listSandboxForAllNamespaces'), /across namespaces/);
    assertForbidden(api('GET', undefined, 'listClusterSandboxTemplate'), /across namespaces/);
    assertForbidden(api('GET', undefined, 'listAuditRecords'), /across namespaces/);
    assertForbidden(api('GET', undefined), /across namespaces/);
  });

  it('refuses reads that may reveal a credential’s value', () => {
    assertForbidden(api('GET', 'team-a', 'readSandboxFile'), /credentials/);
    assertForbidden(api('GET', 'team-a', 'downloadSandboxArchive'), /credentials/);
  });

  it('refuses terminals, previews and the E2B API, in its namespace and with GET', () => {
    const channels = [
      [RequestChannel.Terminal, /terminals, exec sessions or port forwards/],
      [RequestChannel.Preview, /previews/],
      [RequestChannel.E2b, /the E2B API/],
    ] as const;
    for (const [channel, words] of channels) {
      assertForbidden({ channel, method: 'GET', namespace: 'team-a' }, words);
    }
  });
});
