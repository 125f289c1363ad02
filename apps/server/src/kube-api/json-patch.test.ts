import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { jsonPatch, mergePatch } from './json-patch.ts';

describe('patches', () => {
  it('merge patch merges maps, removes on null and replaces lists', () => {
    const target = { spec: { a: 1, b: { c: 2 }, list: [1, 2] }, keep: true };
    const patched = mergePatch(target, { spec: { a: null, b: { d: 3 }, list: [3] } });
    assert.deepEqual(patched, { spec: { b: { c: 2, d: 3 }, list: [3] }, keep: true });
    assert.deepEqual(target.spec.list, [1, 2], 'the target is not changed');
  });

  it('JSON patch adds, replaces, removes, moves, copies and tests, on a copy', () => {
    const target = { a: { b: 1 }, list: ['x'] };
    const patched = jsonPatch(target, [
      { op: 'add', path: '/list/-', value: 'y' },
      { op: 'add', path: '/list/0', value: 'w' },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'move', from: '/c/b', path: '/d' },
      { op: 'remove', path: '/list/1' },
      { op: 'test', path: '/d', value: 2 },
      { op: 'add', path: '/e~1f', value: true },
    ]);
    assert.deepEqual(patched, { a: { b: 2 }, list: ['w', 'y'], c: {}, d: 2, 'e/f': true });
    assert.deepEqual(target, { a: { b: 1 }, list: ['x'] });
  });

  it('a failed operation is validation_failed naming it', () => {
    const cases: Array<[unknown, string]> = [
      [[{ op: 'test', path: '/a', value: 2 }], '[0]'],
      [
        [
          { op: 'add', path: '/a', value: 1 },
          { op: 'remove', path: '/zz' },
        ],
        '[1]',
      ],
      [[{ op: 'replace', path: '/missing', value: 1 }], '[0]'],
      [[{ op: 'frobnicate', path: '/a' }], '[0].op'],
      [{ op: 'add' }, '(body)'],
    ];
    for (const [patch, field] of cases) {
      assert.throws(
        () => jsonPatch({ a: 1 }, patch),
        (error) =>
          isPaddockError(error, 'validation_failed') &&
          JSON.stringify(error.details.issues).includes(`"path":"${field}"`),
        JSON.stringify(patch),
      );
    }
  });
});
