import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDuplicateKey } from './duplicate-keys.ts';

describe('firstDuplicateKey', () => {
  it('finds a key named twice in any object, with its path', () => {
    const cases: Array<[string, string | undefined]> = [
      ['{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}', undefined],
      ['{"a":1,"a":2}', 'a'],
      ['{ "model" : "x" ,\n "model":"y"}', 'model'],
      ['{"m":[{"r":1},{"r":1,"r":2}]}', 'm[1].r'],
      ['{"x":[[1],[{"k":1,"k":1}]]}', 'x[1][0].k'],
      ['[{"a":1},{"a":1,"a":1}]', '[1].a'],
      ['{"o":{"p":{}},"o":1}', 'o'],
      // Keys compare unescaped.
      ['{"a\\u0062":1,"ab":2}', 'ab'],
      ['{"a\\\\":1,"a\\\\":2}', 'a\\'],
      // Text in strings is not structure, however it looks.
      ['{"s":"{\\"a\\":1,\\"a\\":2}\\\\","t":"[,{"}', undefined],
      ['{"a":"a","b":"a","c":["a","a"]}', undefined],
      ['{"":1,"":2}', ''],
      ['"just a string"', undefined],
      ['42', undefined],
    ];
    for (const [json, expected] of cases) {
      JSON.parse(json);
      assert.equal(firstDuplicateKey(json), expected, json);
    }
  });
});
