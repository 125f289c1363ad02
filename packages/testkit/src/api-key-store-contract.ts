import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ApiKeyRecord, type ApiKeyStore, ErrorCode } from '@paddock/core';
import { assertRejectsWith } from './store-fixtures.ts';

/** A fresh, empty API key store for one case; `cleanup` closes it and removes what it made. */
export type ApiKeyStoreUnderTest = { store: ApiKeyStore; cleanup(): Promise<void> };

/** The clock the contract gives each store: `revoke` without a time revokes at this instant. */
const NOW = '2025-02-01T00:00:00.000Z';

/**
 * Key `n` (1 to 28) of `ownerId`: id `pdk_key0000n`, the SHA-256 of `secret-n` as its hash, made
 * on day `n` of January 2025.
 */
export function apiKeyRecord(n: number, ownerId = 'alice'): ApiKeyRecord {
  return {
    id: `pdk_key${String(n).padStart(5, '0')}`,
    hash: createHash('sha256').update(`secret-${n}`).digest('hex'),
    ownerId,
    roles: ['user'],
    name: `key ${n}`,
    createdAt: new Date(Date.UTC(2025, 0, n)).toISOString(),
  };
}

/**
 * The ApiKeyStore contract (see `ApiKeyStore` in @paddock/core): a key is found by its hash and
 * by its public id (revoked ones too), listed oldest first (then by id, byte order), all or one
 * owner's; `revoke` keeps its first time (the store's clock when no time is given) and is
 * `not_found` for an unknown id; `touch` records the last use and ignores unknown ids; a second
 * id or hash is `already_exists`, an invalid record `validation_failed`; a closed store answers
 * `internal`. `open(now)` makes a store whose clock is `now`. How a corrupt row is caught is each
 * implementation's own test.
 */
export function runApiKeyStoreContract(
  name: string,
  open: (now: () => Date) => Promise<ApiKeyStoreUnderTest>,
): void {
  const withStore = (body: (store: ApiKeyStore) => Promise<void>) => async () => {
    const subject = await open(() => new Date(NOW));
    try {
      await body(subject.store);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`ApiKeyStore contract: ${name}`, () => {
    it(
      'finds a created key by its hash, and nothing by another hash',
      withStore(async (keys) => {
        const created = await keys.create(apiKeyRecord(1));
        assert.deepEqual(created, apiKeyRecord(1));
        assert.deepEqual(await keys.findByHash(created.hash), apiKeyRecord(1));
        assert.equal(await keys.findByHash(apiKeyRecord(2).hash), undefined);
      }),
    );

    it(
      'keeps every field of a record as given, optional ones included',
      withStore(async (keys) => {
        const full: ApiKeyRecord = {
          ...apiKeyRecord(1),
          roles: ['admin', 'user'],
          expiresAt: '2026-01-01T00:00:00.000Z',
          lastUsedAt: '2025-01-02T03:04:05.000Z',
        };
        const { name: _, ...bare } = apiKeyRecord(2);
        await keys.create(full);
        await keys.create(bare);
        assert.deepEqual(await keys.findById(full.id), full);
        assert.deepEqual(await keys.findByHash(bare.hash), bare);
        assert.deepEqual(await keys.list(), [full, bare]);
      }),
    );

    it(
      'finds a key by its public id, revoked ones too, and nothing by another id',
      withStore(async (keys) => {
        await keys.create(apiKeyRecord(1));
        await keys.create(apiKeyRecord(2));
        assert.deepEqual(await keys.findById(apiKeyRecord(1).id), apiKeyRecord(1));
        const revoked = await keys.revoke(apiKeyRecord(2).id);
        assert.deepEqual(await keys.findById(apiKeyRecord(2).id), revoked);
        assert.deepEqual(await keys.findByHash(apiKeyRecord(2).hash), revoked);
        assert.equal(await keys.findById('pdk_missing0'), undefined);
      }),
    );

    it(
      'lists all keys or one owner’s, oldest first, then by id',
      withStore(async (keys) => {
        const sameDay = (id: string): ApiKeyRecord => ({
          ...apiKeyRecord(4),
          id,
          hash: createHash('sha256').update(id).digest('hex'),
        });
        await keys.create(apiKeyRecord(3, 'bob'));
        await keys.create(sameDay('pdk_a0000000'));
        await keys.create(apiKeyRecord(1));
        await keys.create(sameDay('pdk_B0000000'));
        await keys.create(apiKeyRecord(2));
        assert.deepEqual(
          (await keys.list()).map((k) => k.id),
          [
            apiKeyRecord(1).id,
            apiKeyRecord(2).id,
            apiKeyRecord(3).id,
            'pdk_B0000000',
            'pdk_a0000000',
          ],
        );
        assert.deepEqual(await keys.list('bob'), [apiKeyRecord(3, 'bob')]);
        assert.deepEqual(await keys.list('carol'), []);
      }),
    );

    it(
      'revokes once (idempotent) at the store’s time or the given one, and refuses unknown ids',
      withStore(async (keys) => {
        await keys.create(apiKeyRecord(1));
        await keys.create(apiKeyRecord(2));
        const revoked = await keys.revoke(apiKeyRecord(1).id);
        assert.deepEqual(revoked, { ...apiKeyRecord(1), revokedAt: NOW });
        const again = await keys.revoke(apiKeyRecord(1).id, new Date('2030-01-01T00:00:00Z'));
        assert.equal(again.revokedAt, NOW);
        assert.equal((await keys.findByHash(apiKeyRecord(1).hash))?.revokedAt, NOW);
        const at = await keys.revoke(apiKeyRecord(2).id, new Date('2025-01-15T12:00:00Z'));
        assert.equal(at.revokedAt, '2025-01-15T12:00:00.000Z');
        await assertRejectsWith(keys.revoke('pdk_missing0'), ErrorCode.NotFound);
        assert.deepEqual(
          (await keys.list()).map((k) => k.id),
          [apiKeyRecord(1).id, apiKeyRecord(2).id],
        );
      }),
    );

    it(
      'records the last use, keeping the rest of the record, and ignores unknown ids',
      withStore(async (keys) => {
        await keys.create(apiKeyRecord(1));
        await keys.create(apiKeyRecord(2));
        await keys.touch(apiKeyRecord(1).id, new Date('2025-03-01T10:00:00Z'));
        await keys.touch('pdk_missing0', new Date('2025-03-01T10:00:00Z'));
        const used = { ...apiKeyRecord(1), lastUsedAt: '2025-03-01T10:00:00.000Z' };
        assert.deepEqual(await keys.findByHash(apiKeyRecord(1).hash), used);
        assert.deepEqual(await keys.findById(apiKeyRecord(2).id), apiKeyRecord(2));
        await keys.touch(apiKeyRecord(1).id, new Date('2025-03-02T10:00:00Z'));
        const later = { ...used, lastUsedAt: '2025-03-02T10:00:00.000Z' };
        assert.deepEqual(await keys.findById(apiKeyRecord(1).id), later);
        assert.equal(await keys.findById('pdk_missing0'), undefined);
      }),
    );

    it(
      'keeps the last use through a revoke, and the revoke through a later use',
      withStore(async (keys) => {
        await keys.create(apiKeyRecord(1));
        await keys.touch(apiKeyRecord(1).id, new Date('2025-01-20T00:00:00Z'));
        const revoked = await keys.revoke(apiKeyRecord(1).id);
        assert.deepEqual(revoked, {
          ...apiKeyRecord(1),
          lastUsedAt: '2025-01-20T00:00:00.000Z',
          revokedAt: NOW,
        });
        await keys.touch(apiKeyRecord(1).id, new Date('2025-02-02T00:00:00Z'));
        assert.deepEqual(await keys.findByHash(apiKeyRecord(1).hash), {
          ...revoked,
          lastUsedAt: '2025-02-02T00:00:00.000Z',
        });
      }),
    );

    it(
      'refuses duplicates and invalid records, storing none of them',
      withStore(async (keys) => {
        await keys.create(apiKeyRecord(1));
        await assertRejectsWith(keys.create(apiKeyRecord(1)), ErrorCode.AlreadyExists);
        await assertRejectsWith(
          keys.create({ ...apiKeyRecord(2), hash: apiKeyRecord(1).hash }),
          ErrorCode.AlreadyExists,
        );
        await assertRejectsWith(
          keys.create({ ...apiKeyRecord(2), id: apiKeyRecord(1).id }),
          ErrorCode.AlreadyExists,
        );
        await assertRejectsWith(
          keys.create({ ...apiKeyRecord(2), hash: 'not-a-hash' }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          keys.create({ ...apiKeyRecord(2), roles: [] }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          keys.create({ ...apiKeyRecord(2), id: 'not-a-key-id' }),
          ErrorCode.ValidationFailed,
        );
        assert.deepEqual(await keys.list(), [apiKeyRecord(1)]);
        assert.equal(await keys.findByHash(apiKeyRecord(2).hash), undefined);
      }),
    );

    it('answers internal once closed, and closes twice', async () => {
      const subject = await open(() => new Date(NOW));
      try {
        const keys = subject.store;
        await keys.create(apiKeyRecord(1));
        await keys.close();
        await keys.close();
        await assertRejectsWith(keys.findByHash(apiKeyRecord(1).hash), ErrorCode.Internal);
        await assertRejectsWith(keys.list(), ErrorCode.Internal);
        await assertRejectsWith(keys.create(apiKeyRecord(2)), ErrorCode.Internal);
        await assertRejectsWith(keys.revoke(apiKeyRecord(1).id), ErrorCode.Internal);
        await assertRejectsWith(keys.touch(apiKeyRecord(1).id, new Date()), ErrorCode.Internal);
      } finally {
        await subject.cleanup();
      }
    });
  });
}
