import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyUseSampler } from './audit.ts';

describe('KeyUseSampler', () => {
  it('lets the first read of each key in a window through, then the next window', () => {
    const sampler = new KeyUseSampler(60_000);
    assert.equal(sampler.isDue('a', 0), true);
    assert.equal(sampler.isDue('a', 59_999), false);
    assert.equal(sampler.isDue('b', 10), true, 'keys are sampled apart');
    assert.equal(sampler.isDue('a', 60_000), true);
    assert.equal(sampler.isDue('a', 60_001), false);
  });
});
