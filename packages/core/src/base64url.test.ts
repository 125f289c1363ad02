import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';

describe('base64url', () => {
  it('encodes as Buffer does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        assert.equal(encodeBase64Url(bytes), Buffer.from(bytes).toString('base64url'));
      }),
    );
  });

  it('decodes any text as Buffer does, forged text included', () => {
    const chars = fc.constantFrom(...'AZaz09-_+/=!. \n\u00e9'.split(''), 'Q', 'w', 'x');
    const text = fc.oneof(
      fc.string({ unit: chars, maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')),
    );
    fc.assert(
      fc.property(text, (value) => {
        assert.deepEqual([...decodeBase64Url(value)], [...Buffer.from(value, 'base64url')]);
      }),
      { numRuns: 2_000 },
    );
  });
});
