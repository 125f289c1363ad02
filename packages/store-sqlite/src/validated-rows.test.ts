import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { ValidatedRows } from './validated-rows.ts';

const key = { kind: 'SandboxTemplate', namespace: 'ns', name: 't' } as const;
const text = (spec: object) =>
  JSON.stringify({
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'SandboxTemplate',
    metadata: { name: 't', namespace: 'ns', resourceVersion: '7' },
    spec,
  });

function isCorrupt(error: unknown): boolean {
  return isPaddockError(error, ErrorCode.Internal) && /SandboxTemplate ns\/t/.test(error.message);
}

describe('ValidatedRows', () => {
  it('hands out a fresh copy on every read of a text it validated', () => {
    const rows = new ValidatedRows();
    const json = text({ timeout: '1h' });
    const first = rows.decode(key, 7, json);
    const second = rows.decode(key, 7, json);
    assert.deepEqual(second, first);
    assert.notEqual(second, first);
    second.spec.timeout = '2h';
    assert.equal(rows.decode(key, 7, json).spec.timeout, '1h');
    assert.equal(rows.size, 1);
  });

  it('answers a remembered text as the schema did, whatever order its fields were written in', () => {
    const rows = new ValidatedRows();
    const json = JSON.stringify({
      spec: { timeout: '1h' },
      metadata: { namespace: 'ns', name: 't' },
      kind: 'SandboxTemplate',
      apiVersion: 'paddock.dev/v1alpha1',
    });
    const validated = rows.decode(key, 7, json);
    assert.deepEqual(rows.decode(key, 7, json), validated);
    assert.equal(rows.size, 1);
  });

  it('validates another text at the same key and version, and never remembers a corrupt one', () => {
    const rows = new ValidatedRows();
    rows.decode(key, 7, text({ timeout: '1h' }));
    const corrupt = text({ isolation: 'vm' });
    assert.throws(() => rows.decode(key, 7, corrupt), isCorrupt);
    assert.throws(() => rows.decode(key, 7, corrupt), isCorrupt);
    rows.written(key, 8, text({ timeout: '2h' }));
    assert.throws(() => rows.decode(key, 8, corrupt), isCorrupt);
  });

  it('checks a remembered text against the key it is read at', () => {
    const rows = new ValidatedRows();
    const json = text({});
    rows.decode(key, 7, json);
    assert.throws(
      () => rows.decode({ ...key, name: 'other' }, 7, json),
      (error) => isPaddockError(error, ErrorCode.Internal) && /describes/.test(error.message),
    );
  });

  it('reads what the store wrote as written, and forgets the oldest texts past its capacity', () => {
    const rows = new ValidatedRows(2);
    for (const version of [1, 2, 3]) rows.written(key, version, text({ timeout: `${version}h` }));
    assert.equal(rows.size, 2);
    assert.equal(rows.decode(key, 3, text({ timeout: '3h' })).spec.timeout, '3h');
    assert.equal(rows.decode(key, 1, text({ timeout: '1h' })).spec.timeout, '1h');
    assert.equal(rows.size, 2);
  });
});
