import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateApiKey } from '@paddock/control';
import type { ApiKeyStore } from '@paddock/core';
import { openSqliteApiKeyStore } from '@paddock/store-sqlite';
import { bootstrapAdminKey } from './bootstrap-key.ts';

describe('bootstrapAdminKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bootstrap-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs the given key once, and a replica that races it to an empty store starts too', async () => {
    const store = await openSqliteApiKeyStore({ path: join(dir, 'paddock.db') });
    try {
      const { key } = generateApiKey();
      const first = await bootstrapAdminKey(store, key, new Date());
      assert.ok(first !== undefined && first.key === undefined);
      // The second replica saw no key before the first one's landed: its create is a duplicate.
      const racing: ApiKeyStore = {
        create: (record) => store.create(record),
        findByHash: (hash) => store.findByHash(hash),
        findById: (id) => store.findById(id),
        list: async () => [],
        revoke: (id, when) => store.revoke(id, when),
        touch: (id, when) => store.touch(id, when),
        close: () => store.close(),
      };
      assert.equal(await bootstrapAdminKey(racing, key, new Date()), undefined);
      assert.equal((await store.list()).length, 1);
      // Nothing is installed over an existing key.
      assert.equal(await bootstrapAdminKey(store, generateApiKey().key, new Date()), undefined);
      assert.equal((await store.list()).length, 1);
    } finally {
      await store.close();
    }
  });
});
