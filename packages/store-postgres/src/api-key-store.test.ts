import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  apiKeyRecord,
  assertRejectsWith,
  postgresSkipReason,
  runApiKeyStoreContract,
} from '@paddock/testkit';
import { openPostgresApiKeyStore, openPostgresDatabase } from './index.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { postgresForFile } from './test-database.ts';

const { freshUrl, sql } = postgresForFile();

describe('PostgreSQL API key store', { skip: postgresSkipReason }, () => {
  runApiKeyStoreContract('postgres', async (now) => {
    const store = await openPostgresApiKeyStore({ url: await freshUrl(), now });
    return { store, cleanup: () => store.close() };
  });

  it('stores the hash, never the key, and shares keys between replicas', async () => {
    const url = await freshUrl();
    const [one, two] = await Promise.all([
      openPostgresApiKeyStore({ url }),
      openPostgresApiKeyStore({ url }),
    ]);
    try {
      await one.create(apiKeyRecord(1));
      assert.deepEqual(await two.findByHash(apiKeyRecord(1).hash), apiKeyRecord(1));
      await two.touch(apiKeyRecord(1).id, new Date('2025-03-01T00:00:00Z'));
      const revoked = await two.revoke(apiKeyRecord(1).id, new Date('2025-03-02T00:00:00Z'));
      assert.deepEqual(await one.findById(apiKeyRecord(1).id), revoked);
      assert.equal(revoked.lastUsedAt, '2025-03-01T00:00:00.000Z');
      const rows = await sql(url, 'SELECT id, hash, json FROM api_keys');
      assert.ok(rows.includes(apiKeyRecord(1).hash), rows);
      assert.ok(!rows.includes('secret-1'), rows);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('keeps the first revoke when replicas revoke one key at once', async () => {
    const url = await freshUrl();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => openPostgresApiKeyStore({ url })));
    try {
      const [first] = replicas;
      assert.ok(first);
      await first.create(apiKeyRecord(1));
      for (let round = 0; round < 5; round++) {
        const id = `pdk_round${String(round).padStart(3, '0')}`;
        await first.create({ ...apiKeyRecord(2), id, hash: apiKeyRecord(10 + round).hash });
        const results = await Promise.all(
          replicas.map((store, r) => store.revoke(id, new Date(Date.UTC(2025, 5, 1 + r)))),
        );
        const times = new Set(results.map((record) => record.revokedAt));
        assert.equal(times.size, 1, `every revoke returns the first one's time: ${[...times]}`);
        assert.equal((await first.findById(id))?.revokedAt, results[0]?.revokedAt);
      }
    } finally {
      for (const store of replicas) await store.close();
    }
  });

  it('shares one database with the logs; closing the store leaves a shared database open', async () => {
    const database = await openPostgresDatabase({ url: await freshUrl() });
    try {
      const keys = await openPostgresApiKeyStore({ database });
      await keys.create(apiKeyRecord(1));
      await keys.close();
      await assertRejectsWith(keys.findById(apiKeyRecord(1).id), ErrorCode.Internal);
      const again = await openPostgresApiKeyStore({ database });
      assert.deepEqual(await again.findById(apiKeyRecord(1).id), apiKeyRecord(1));
      await again.close();
    } finally {
      await database.close();
    }
  });

  it('lists in byte order, as SQLite does, in a database with a linguistic collation', async () => {
    const url = new URL(await freshUrl());
    const name = `${url.pathname.slice(1)}_icu`;
    await sql(
      url.href,
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'
         LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`,
    );
    url.pathname = `/${name}`;
    const keys = await openPostgresApiKeyStore({ url: url.href });
    try {
      for (const id of ['pdk_b0000000', 'pdk_a0000000', 'pdk_B0000000']) {
        const hash = createHash('sha256').update(id).digest('hex');
        await keys.create({ ...apiKeyRecord(1), id, hash });
      }
      assert.deepEqual(
        (await keys.list()).map((k) => k.id),
        ['pdk_B0000000', 'pdk_a0000000', 'pdk_b0000000'],
      );
    } finally {
      await keys.close();
    }
  });

  it('migrates a version 1 database to the latest version at open', async () => {
    const url = await freshUrl();
    const old = await openPostgresDatabase({ url });
    await old.close();
    // What a database written by the code before API keys looked like.
    await sql(url, 'DROP TABLE api_keys; UPDATE schema_version SET version = 1');
    const keys = await openPostgresApiKeyStore({ url });
    try {
      await keys.create(apiKeyRecord(1));
      assert.deepEqual(await keys.list(), [apiKeyRecord(1)]);
      assert.equal(
        (await sql(url, 'SELECT version FROM schema_version')).trim(),
        `${SCHEMA_VERSION}`,
      );
    } finally {
      await keys.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const url = await freshUrl();
    const keys = await openPostgresApiKeyStore({ url });
    try {
      await keys.create(apiKeyRecord(1));
      await sql(url, `UPDATE api_keys SET json = '{"id":1}'`);
      await assertRejectsWith(keys.findByHash(apiKeyRecord(1).hash), ErrorCode.Internal, (error) =>
        assert.match(error.message, /api_keys/),
      );
      await assertRejectsWith(keys.list(), ErrorCode.Internal);
      await sql(url, `UPDATE api_keys SET json = '{', last_used_at = NULL`);
      await assertRejectsWith(keys.findById(apiKeyRecord(1).id), ErrorCode.Internal);
    } finally {
      await keys.close();
    }
  });

  it('refuses bad options, listing each problem', async () => {
    await assertRejectsWith(openPostgresApiKeyStore({}), ErrorCode.ValidationFailed);
    await assertRejectsWith(
      openPostgresApiKeyStore({ url: 'mysql://x', poolSize: 0 }),
      ErrorCode.ValidationFailed,
      (error) => assert.match(error.message, /url.*poolSize/),
    );
  });

  it('is runtime_unavailable when the server cannot be reached', async () => {
    await assertRejectsWith(
      openPostgresApiKeyStore({
        url: 'postgres://paddock@127.0.0.1:1/none',
        connectTimeoutMs: 2_000,
      }),
      ErrorCode.RuntimeUnavailable,
    );
  });
});
