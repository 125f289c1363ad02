// deepMerge, property-tested: maps merge key by key, everything else in the override replaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepMerge, isYamlMap, type YamlMap, type YamlValue } from './deep-merge.ts';

const key = fc.constantFrom('a', 'b', 'c', 'hubble', 'enabled', '__proto__', 'constructor');
const { value: yamlValue } = fc.letrec<{ value: YamlValue; map: YamlMap }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('map'),
  ),
  map: fc.dictionary(key, tie('value'), {
    maxKeys: 4,
    noNullPrototype: true,
  }) as fc.Arbitrary<YamlMap>,
}));
const yamlMap = fc.dictionary(key, yamlValue, {
  maxKeys: 4,
  noNullPrototype: true,
}) as fc.Arbitrary<YamlMap>;

describe('deepMerge', () => {
  it('merges nested maps and replaces arrays and scalars (example)', () => {
    assert.deepEqual(
      deepMerge(
        { hubble: { enabled: true, relay: { enabled: true } }, list: [1, 2], port: 1 },
        { hubble: { relay: { enabled: false } }, list: [3], port: null },
      ),
      { hubble: { enabled: true, relay: { enabled: false } }, list: [3], port: null },
    );
  });

  it('every key of the override holds its value, merged where both are maps', () => {
    fc.assert(
      fc.property(yamlMap, yamlMap, (base, override) => {
        const merged = deepMerge(base, override) as YamlMap;
        for (const [k, v] of Object.entries(override)) {
          const b = Object.hasOwn(base, k) ? base[k] : undefined;
          assert.ok(Object.hasOwn(merged, k));
          if (isYamlMap(v) && isYamlMap(b)) assert.deepEqual(merged[k], deepMerge(b, v));
          else assert.deepEqual(merged[k], v);
        }
        for (const [k, v] of Object.entries(base)) {
          if (!Object.hasOwn(override, k)) assert.deepEqual(merged[k], v);
        }
        assert.deepEqual(
          Object.keys(merged).sort(),
          [...new Set([...Object.keys(base), ...Object.keys(override)])].sort(),
        );
      }),
    );
  });

  it('a non-map on either side means the override replaces', () => {
    fc.assert(
      fc.property(yamlValue, yamlValue, (base, override) => {
        fc.pre(!isYamlMap(base) || !isYamlMap(override));
        assert.deepEqual(deepMerge(base, override), override);
      }),
    );
  });

  // Not associative: with a = {x: {k: 1}}, b = {x: 5}, c = {x: {}}, (a·b)·c is {x: {}} while
  // a·(b·c) is {x: {k: 1}} (b's scalar replaces a's map, then c's map replaces the scalar).
  it('has {} as identity, is idempotent, and changes neither input', () => {
    fc.assert(
      fc.property(yamlMap, yamlMap, yamlMap, (a, b, c) => {
        const before = structuredClone([a, b, c]);
        deepMerge(deepMerge(a, b), c);
        assert.deepEqual(deepMerge(a, {}), a);
        assert.deepEqual(deepMerge({}, a), a);
        assert.deepEqual(deepMerge(a, a), a);
        assert.deepEqual([a, b, c], before);
      }),
    );
  });

  it('keeps a key named __proto__ a key, never a prototype', () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}')) as YamlMap;
    assert.ok(Object.hasOwn(merged, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  });
});
