import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputRing } from './output-ring.ts';

describe('OutputRing', () => {
  it('keeps everything under the limit, in order', () => {
    const ring = new OutputRing(10);
    ring.push(Buffer.from('abc'));
    ring.push(Buffer.from('def'));
    assert.equal(ring.drain().toString(), 'abcdef');
    assert.equal(ring.sizeBytes, 0);
    assert.equal(ring.droppedBytes, 0);
  });

  it('drops the oldest bytes past the limit, splitting a chunk when needed', () => {
    const ring = new OutputRing(5);
    ring.push(Buffer.from('abc'));
    ring.push(Buffer.from('defg'));
    assert.equal(ring.sizeBytes, 5);
    assert.equal(ring.drain().toString(), 'cdefg');
    assert.equal(ring.droppedBytes, 2);
    ring.push(Buffer.from('0123456789'));
    assert.equal(ring.drain().toString(), '56789');
    assert.equal(ring.droppedBytes, 7);
  });
});
