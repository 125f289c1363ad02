import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { openSqliteStore } from '@paddock/store-sqlite';
import { findObject } from './find-object.ts';

describe('findObject', () => {
  it('answers undefined for a missing object, the object when there is one, and throws the rest', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const key = { namespace: 'default', name: 'helper' };
    assert.equal(await findObject(store, 'Agent', key), undefined);
    await store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Agent',
      metadata: key,
      spec: { harness: { kind: 'builtin' } },
    });
    assert.equal((await findObject(store, 'Agent', key))?.metadata.name, 'helper');
    await store.close();
    await assert.rejects(findObject(store, 'Agent', key), (error) =>
      isPaddockError(error, 'internal'),
    );
  });
});
