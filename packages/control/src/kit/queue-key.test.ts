import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectKeyOf, queueKey } from './queue-key.ts';

describe('queue key', () => {
  it('is namespace/name for a namespaced object and the name alone for a cluster-scoped one', () => {
    assert.equal(queueKey({ namespace: 'team', name: 'box' }), 'team/box');
    assert.equal(queueKey({ name: 'agent' }), 'agent');
    assert.equal(queueKey({ namespace: '', name: 'agent' }), 'agent');
  });

  it('reads back the object it was made of', () => {
    assert.deepEqual(objectKeyOf(queueKey({ namespace: 'team', name: 'box' })), {
      namespace: 'team',
      name: 'box',
    });
    assert.deepEqual(objectKeyOf(queueKey({ name: 'agent' })), { name: 'agent' });
  });
});
