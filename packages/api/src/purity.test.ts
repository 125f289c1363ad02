import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('purity', () => {
  it('imports only @paddock/core, zod and its own files outside tests', () => {
    const dir = new URL('./', import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(sources.length > 10);
    for (const file of sources) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
        assert.ok(
          spec === '@paddock/core' || spec === 'zod' || /^\.\/[a-z-]+\.ts$/.test(spec ?? ''),
          `${file} imports ${spec}`,
        );
      }
    }
  });
});
