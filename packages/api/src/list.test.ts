import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError, parseInput } from '@paddock/core';
import { ListQuery } from './list.ts';

function rejects(query: Record<string, string>, field: string): void {
  assert.throws(
    () => parseInput(ListQuery, query, 'query'),
    (error: unknown) => {
      assert.ok(isPaddockError(error, 'validation_failed'));
      const paths = (error.details.issues as { path: string }[]).map((i) => i.path);
      assert.deepEqual(paths, [field]);
      assert.match(error.message, new RegExp(`${field}: `));
      return true;
    },
  );
}

describe('ListQuery', () => {
  it('coerces query-string values', () => {
    assert.deepEqual(
      ListQuery.parse({ limit: '50', watch: 'true', continue: 'abc', labelSelector: 'app=web' }),
      { limit: 50, watch: true, continue: 'abc', labelSelector: 'app=web' },
    );
    assert.deepEqual(ListQuery.parse({ watch: '0' }), { watch: false });
    assert.deepEqual(ListQuery.parse({ watch: '' }), { watch: true });
    assert.deepEqual(ListQuery.parse({}), {});
  });

  it('reads a field selector of metadata.name as the name', () => {
    assert.deepEqual(ListQuery.parse({ fieldSelector: 'metadata.name=box-1' }), {
      fieldSelector: { name: 'box-1' },
    });
    assert.deepEqual(ListQuery.parse({ fieldSelector: 'metadata.name==box-1' }), {
      fieldSelector: { name: 'box-1' },
    });
  });

  it('accepts limits 1 and 1000', () => {
    assert.equal(ListQuery.parse({ limit: '1' }).limit, 1);
    assert.equal(ListQuery.parse({ limit: '1000' }).limit, 1000);
  });

  it('names the field of each bad value', () => {
    rejects({ limit: '0' }, 'limit');
    rejects({ limit: '1001' }, 'limit');
    rejects({ limit: 'ten' }, 'limit');
    rejects({ limit: '2.5' }, 'limit');
    rejects({ watch: 'yes' }, 'watch');
    rejects({ continue: '' }, 'continue');
    rejects({ labelSelector: 'app in (a' }, 'labelSelector');
    rejects({ fieldSelector: 'metadata.namespace=ns' }, 'fieldSelector');
    rejects({ fieldSelector: 'metadata.name!=box' }, 'fieldSelector');
    rejects({ fieldSelector: 'metadata.name=a,metadata.name=b' }, 'fieldSelector');
  });

  it('rejects unknown parameters instead of ignoring them', () => {
    assert.throws(() => parseInput(ListQuery, { lmit: '5' }, 'query'), /lmit/);
  });
});
