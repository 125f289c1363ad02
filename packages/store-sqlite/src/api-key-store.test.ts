import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { apiKeyRecord, assertRejectsWith, runApiKeyStoreContract } from '@paddock/testkit';
import { openSqliteApiKeyStore } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-keys-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

describe('SqliteApiKeyStore', () => {
  runApiKeyStoreContract('sqlite', async (now) => {
    const store = await openSqliteApiKeyStore({ path: freshPath(), now });
    return { store, cleanup: () => store.close() };
  });

  it('reports a corrupt row as internal', async () => {
    const path = freshPath();
    const keys = await openSqliteApiKeyStore({ path });
    try {
      await keys.create(apiKeyRecord(1));
      const db = new DatabaseSync(path);
      db.exec(`UPDATE api_keys SET json = '{"id":1}'`);
      db.close();
      await assertRejectsWith(keys.findByHash(apiKeyRecord(1).hash), ErrorCode.Internal);
    } finally {
      await keys.close();
    }
  });
});
