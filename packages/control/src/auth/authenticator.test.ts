import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { openSqliteApiKeyStore, type SqliteApiKeyStore } from '@paddock/store-sqlite';
import { generateApiKey, hashApiKey, issueApiKey } from './api-keys.ts';
import {
  type AuthenticatorOptions,
  createAuthenticator,
  isLoopbackAddress,
} from './authenticator.ts';
import type { OidcVerifier } from './oidc.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function withKeys(body: (keys: SqliteApiKeyStore, dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-auth-'));
  dirs.push(dir);
  const keys = await openSqliteApiKeyStore({ path: join(dir, 'paddock.db') });
  try {
    await body(keys, dir);
  } finally {
    await keys.close();
  }
}

async function assertRefused(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPaddockError(error, ErrorCode.Unauthenticated), String(error));
    assert.equal(error.details.reason, reason);
    return true;
  });
}

const NOW = new Date('2025-06-01T12:00:00.000Z');
const options = (keys: SqliteApiKeyStore, extra: Partial<AuthenticatorOptions> = {}) => ({
  apiKeys: keys,
  allowAnonymousAdmin: false,
  now: () => NOW,
  ...extra,
});

describe('API keys', () => {
  it('generates pdk_ keys with a public id prefix and a SHA-256 hash', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.match(a.key, /^pdk_[A-Za-z0-9_-]{43}$/);
    assert.equal(a.id, a.key.slice(0, 12));
    assert.equal(a.hash, hashApiKey(a.key));
    assert.match(a.hash, /^[0-9a-f]{64}$/);
    assert.notEqual(a.key, b.key);
  });

  it('authenticates with a created key, as its owner, and records the use', async () => {
    await withKeys(async (keys) => {
      const { key, record } = await issueApiKey(keys, { ownerId: 'alice', roles: ['user'] }, NOW);
      const principal = await createAuthenticator(options(keys)).authenticate(`Bearer ${key}`);
      assert.deepEqual(principal, {
        id: 'alice',
        roles: ['user'],
        via: 'api-key',
        keyId: record.id,
      });
      const [stored] = await keys.list('alice');
      assert.equal(stored?.lastUsedAt, NOW.toISOString());
    });
  });

  it('stores only the hash: the plaintext key is nowhere in the database files', async () => {
    await withKeys(async (keys, dir) => {
      const { key } = await issueApiKey(keys, { ownerId: 'alice', roles: ['user'] }, NOW);
      await createAuthenticator(options(keys)).authenticate(`Bearer ${key}`);
      const secret = key.slice(12);
      const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
      assert.ok(files.length > 0);
      // The hash is there (the check can see inside the files) ...
      assert.ok(files.some((bytes) => bytes.includes(hashApiKey(key))));
      // ... the key, and even its secret part, is not.
      for (const bytes of files) assert.equal(bytes.includes(secret), false);
    });
  });

  it('refuses a revoked, an expired, an unknown and a malformed key', async () => {
    await withKeys(async (keys) => {
      const auth = createAuthenticator(options(keys));
      const revoked = await issueApiKey(keys, { ownerId: 'alice', roles: ['user'] }, NOW);
      await auth.authenticate(`Bearer ${revoked.key}`);
      await keys.revoke(revoked.record.id);
      await assertRefused(auth.authenticate(`Bearer ${revoked.key}`), 'revoked_api_key');
      const expired = await issueApiKey(
        keys,
        { ownerId: 'alice', roles: ['user'], expiresAt: new Date(NOW.getTime() - 1) },
        NOW,
      );
      await assertRefused(auth.authenticate(`Bearer ${expired.key}`), 'expired_api_key');
      await assertRefused(auth.authenticate(`Bearer ${generateApiKey().key}`), 'unknown_api_key');
      await assertRefused(auth.authenticate('Bearer pdk_short'), 'unknown_api_key');
    });
  });

  it('confirms a key principal only while its key is usable, by the same rule', async () => {
    await withKeys(async (keys) => {
      let clock = NOW;
      const auth = createAuthenticator(options(keys, { now: () => clock }));
      const expiresAt = new Date(NOW.getTime() + 60_000);
      const issued = await issueApiKey(keys, { ownerId: 'alice', roles: ['user'], expiresAt }, NOW);
      const alice = await auth.authenticate(`Bearer ${issued.key}`);
      assert.equal(
        alice.expiresAtMs,
        expiresAt.getTime(),
        'the principal says when its key expires',
      );
      assert.deepEqual(await auth.confirm(alice), alice);
      await assertRefused(auth.confirm({ ...alice, id: 'bob' }), 'unknown_api_key');
      await assertRefused(auth.confirm({ ...alice, keyId: 'pdk_missing0' }), 'unknown_api_key');
      const { keyId: _, ...keyless } = alice;
      await assertRefused(auth.confirm(keyless), 'unknown_api_key');
      clock = expiresAt;
      await assertRefused(auth.confirm(alice), 'expired_api_key');
      clock = NOW;
      await keys.revoke(issued.record.id);
      await assertRefused(auth.confirm(alice), 'revoked_api_key');
      const sso = { id: 'carol', roles: ['user' as const], via: 'oidc' as const };
      assert.deepEqual(await auth.confirm(sso), sso);
    });
  });
});

describe('authenticator', () => {
  it('grants anonymous admin only when allowed, and only from loopback when the peer is known', async () => {
    await withKeys(async (keys) => {
      await assertRefused(
        createAuthenticator(options(keys)).authenticate(undefined),
        'missing_credentials',
      );
      const open = createAuthenticator(options(keys, { allowAnonymousAdmin: true }));
      assert.deepEqual(await open.authenticate(undefined), {
        id: 'anonymous',
        roles: ['admin'],
        via: 'anonymous',
      });
      assert.equal((await open.authenticate('', { remoteAddress: '::1' })).via, 'anonymous');
      assert.equal(
        (await open.authenticate(undefined, { remoteAddress: '127.0.0.1' })).via,
        'anonymous',
      );
      await assertRefused(
        open.authenticate(undefined, { remoteAddress: '10.0.0.5' }),
        'not_loopback',
      );
      // A presented credential must be valid even where anonymous access is allowed.
      await assertRefused(open.authenticate(`Bearer ${generateApiKey().key}`), 'unknown_api_key');
    });
  });

  it('parses the Bearer scheme case-insensitively and refuses garbage', async () => {
    await withKeys(async (keys) => {
      const { key } = await issueApiKey(keys, { ownerId: 'bob', roles: ['admin'] }, NOW);
      const auth = createAuthenticator(options(keys, { allowAnonymousAdmin: true }));
      for (const header of [`Bearer ${key}`, `bearer ${key}`, `BEARER  ${key} `]) {
        assert.equal((await auth.authenticate(header)).id, 'bob', header);
      }
      for (const header of [
        'Basic dXNlcjpwYXNz',
        'Bearer',
        'Bearer ',
        `Bearer ${key} extra`,
        key,
        'garbage',
      ]) {
        await assertRefused(auth.authenticate(header), 'malformed_authorization');
      }
    });
  });

  it('sends other bearer tokens to OIDC, or refuses them when OIDC is not configured', async () => {
    await withKeys(async (keys) => {
      await assertRefused(
        createAuthenticator(options(keys)).authenticate('Bearer eyJhbGciOi.x.y'),
        'oidc_not_configured',
      );
      const seen: string[] = [];
      const oidc: OidcVerifier = {
        async verify(token) {
          seen.push(token);
          return { id: 'oidc-user', roles: ['user'], via: 'oidc' };
        },
      };
      const auth = createAuthenticator(options(keys, { oidc }));
      assert.equal((await auth.authenticate('Bearer eyJhbGciOi.x.y')).id, 'oidc-user');
      assert.deepEqual(seen, ['eyJhbGciOi.x.y']);
    });
  });

  it('recognises loopback addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.1',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      'localhost',
      '0:0:0:0:0:0:0:1',
    ]) {
      assert.equal(isLoopbackAddress(address), true, address);
    }
    for (const address of [
      '10.0.0.1',
      '0.0.0.0',
      '::',
      '::2',
      '::ffff:10.0.0.1',
      'example.com',
      '',
    ]) {
      assert.equal(isLoopbackAddress(address), false, address);
    }
  });
});
