import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { type ApiKeyRecord, ErrorCode } from '@paddock/core';
import { assertRejectsWith } from '@paddock/testkit';
import { openSqliteApiKeyStore, type SqliteApiKeyStore } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function withKeys(body: (keys: SqliteApiKeyStore, path: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-keys-'));
  dirs.push(dir);
  const path = join(dir, 'paddock.db');
  const keys = await openSqliteApiKeyStore({
    path,
    now: () => new Date('2025-02-01T00:00:00.000Z'),
  });
  try {
    await body(keys, path);
  } finally {
    await keys.close();
  }
}

function keyRecord(n: number, ownerId = 'alice'): ApiKeyRecord {
  return {
    id: `pdk_key${n}abcd`.slice(0, 12),
    hash: createHash('sha256').update(`secret-${n}`).digest('hex'),
    ownerId,
    roles: ['user'],
    name: `key ${n}`,
    createdAt: `2025-01-0${n}T00:00:00.000Z`,
  };
}

describe('SqliteApiKeyStore', () => {
  it('finds a created key by its hash, and nothing by another hash', async () => {
    await withKeys(async (keys) => {
      const created = await keys.create(keyRecord(1));
      assert.deepEqual(await keys.findByHash(created.hash), keyRecord(1));
      assert.equal(await keys.findByHash(keyRecord(2).hash), undefined);
    });
  });

  it('finds a key by its public id, revoked ones too, and nothing by another id', async () => {
    await withKeys(async (keys) => {
      await keys.create(keyRecord(1));
      await keys.create(keyRecord(2));
      assert.deepEqual(await keys.findById(keyRecord(1).id), keyRecord(1));
      const revoked = await keys.revoke(keyRecord(2).id);
      assert.deepEqual(await keys.findById(keyRecord(2).id), revoked);
      assert.equal(await keys.findById('pdk_missing0'), undefined);
    });
  });

  it('lists all keys or one owner’s, oldest first', async () => {
    await withKeys(async (keys) => {
      await keys.create(keyRecord(3, 'bob'));
      await keys.create(keyRecord(1));
      await keys.create(keyRecord(2));
      assert.deepEqual(
        (await keys.list()).map((k) => k.id),
        [keyRecord(1).id, keyRecord(2).id, keyRecord(3).id],
      );
      assert.deepEqual(
        (await keys.list('bob')).map((k) => k.id),
        [keyRecord(3).id],
      );
    });
  });

  it('revokes once (idempotent) and refuses unknown ids', async () => {
    await withKeys(async (keys) => {
      await keys.create(keyRecord(1));
      const revoked = await keys.revoke(keyRecord(1).id);
      assert.equal(revoked.revokedAt, '2025-02-01T00:00:00.000Z');
      const again = await keys.revoke(keyRecord(1).id, new Date('2030-01-01T00:00:00Z'));
      assert.equal(again.revokedAt, '2025-02-01T00:00:00.000Z');
      assert.equal((await keys.findByHash(keyRecord(1).hash))?.revokedAt, revoked.revokedAt);
      await assertRejectsWith(keys.revoke('pdk_missing0'), ErrorCode.NotFound);
    });
  });

  it('records the last use, keeping the rest of the record', async () => {
    await withKeys(async (keys) => {
      await keys.create(keyRecord(1));
      await keys.touch(keyRecord(1).id, new Date('2025-03-01T10:00:00Z'));
      await keys.touch('pdk_missing0', new Date('2025-03-01T10:00:00Z'));
      const found = await keys.findByHash(keyRecord(1).hash);
      assert.deepEqual(found, { ...keyRecord(1), lastUsedAt: '2025-03-01T10:00:00.000Z' });
    });
  });

  it('refuses duplicates and invalid records', async () => {
    await withKeys(async (keys) => {
      await keys.create(keyRecord(1));
      await assertRejectsWith(keys.create(keyRecord(1)), ErrorCode.AlreadyExists);
      await assertRejectsWith(
        keys.create({ ...keyRecord(2), hash: keyRecord(1).hash }),
        ErrorCode.AlreadyExists,
      );
      await assertRejectsWith(
        keys.create({ ...keyRecord(2), hash: 'not-a-hash' }),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        keys.create({ ...keyRecord(2), roles: [] }),
        ErrorCode.ValidationFailed,
      );
    });
  });

  it('reports a corrupt row as internal', async () => {
    await withKeys(async (keys, path) => {
      await keys.create(keyRecord(1));
      const db = new DatabaseSync(path);
      db.exec(`UPDATE api_keys SET json = '{"id":1}'`);
      db.close();
      await assertRejectsWith(keys.findByHash(keyRecord(1).hash), ErrorCode.Internal);
    });
  });
});
