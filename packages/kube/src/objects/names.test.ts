import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, dnsLabel, labelValue, objectName, serviceName } from './names.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('names', () => {
  it('keeps a valid short name as it is', () => {
    assert.equal(dnsLabel('box-1'), 'box-1');
    assert.equal(objectName('box', 'workspace'), 'box-workspace');
  });

  it('cuts and hashes long or invalid names into distinct DNS labels', () => {
    const inputs = ['a'.repeat(64), `${'a'.repeat(63)}b`, 'Under_Score', 'under-score', '--'];
    const outputs = inputs.map(dnsLabel);
    for (const out of outputs) {
      assert.match(out, DNS_LABEL);
      assert.ok(out.length <= 63);
    }
    assert.equal(new Set(outputs).size, inputs.length);
  });

  it('keeps the suffix of a cut object name readable', () => {
    const name = objectName('b'.repeat(60), 'workspace');
    assert.ok(name.endsWith('-workspace') && name.length <= 63, name);
    assert.match(name, DNS_LABEL);
  });

  it('starts Service names with a letter', () => {
    assert.equal(serviceName('box', 'web'), 'box-web');
    assert.match(serviceName('1box', 'web'), /^[a-z]/);
  });

  it('leaves valid label values alone and fixes the rest', () => {
    assert.equal(labelValue('cluster.base_1'), 'cluster.base_1');
    assert.ok(labelValue('c'.repeat(80)).length <= 63);
  });

  it('writes JSON with sorted keys', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } }),
      '{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
