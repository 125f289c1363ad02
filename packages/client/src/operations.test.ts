import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ROUTES, TEMPLATE_POLICY_ROUTES } from '@paddock/api';
import { OPERATION_ROUTES, SANDBOX_OPERATIONS, SYSTEM_OPERATIONS } from './operations.ts';

describe('operations', () => {
  it('types exactly the operations of the api route table', () => {
    assert.deepEqual(
      [...OPERATION_ROUTES.keys()].sort(),
      ROUTES.map((route) => route.operationId).sort(),
    );
  });

  it('keys each route by its own operationId', () => {
    for (const [id, route] of Object.entries({
      ...SANDBOX_OPERATIONS,
      ...SYSTEM_OPERATIONS,
      ...TEMPLATE_POLICY_ROUTES,
    })) {
      assert.equal(route.operationId, id);
    }
  });
});

describe('purity', () => {
  it('imports only @paddock/api, @paddock/core, zod and its own files (no node:) outside tests', () => {
    const dir = new URL('./', import.meta.url);
    const sources = readdirSync(dir).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.fixture.ts'),
    );
    assert.ok(sources.length > 10);
    for (const file of sources) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import) '([^']+)'/g)) {
        assert.ok(
          ['@paddock/api', '@paddock/core', 'zod'].includes(spec ?? '') ||
            /^\.\/[a-z-]+\.ts$/.test(spec ?? ''),
          `${file} imports ${spec}`,
        );
      }
    }
  });
});
