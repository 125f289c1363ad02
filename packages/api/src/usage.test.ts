import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildOpenApiDocument } from './openapi.ts';
import { UsageQuery } from './usage.ts';

const paths = (result: ReturnType<typeof UsageQuery.safeParse>) =>
  result.error?.issues.map((i) => i.path.join('.')) ?? [];

describe('UsageQuery', () => {
  it('accepts a window, a dimension and filters', () => {
    const query = UsageQuery.parse({
      since: '2025-03-01T00:00:00Z',
      until: '2025-03-08T00:00:00Z',
      groupBy: 'model',
      namespace: 'team',
      user: 'alice',
    });
    assert.equal(query.groupBy, 'model');
  });

  it('names until when it is not after since, and since for a window past 366 days', () => {
    const backwards = UsageQuery.safeParse({
      since: '2025-03-02T00:00:00Z',
      until: '2025-03-01T00:00:00Z',
    });
    assert.deepEqual(paths(backwards), ['until']);
    assert.match(backwards.error?.issues[0]?.message ?? '', /after since/);
    const empty = UsageQuery.safeParse({
      since: '2025-03-01T00:00:00Z',
      until: '2025-03-01T00:00:00Z',
    });
    assert.deepEqual(paths(empty), ['until']);
    const long = UsageQuery.safeParse({
      since: '2024-01-01T00:00:00Z',
      until: '2025-03-01T00:00:00Z',
    });
    assert.deepEqual(paths(long), ['since']);
    assert.deepEqual(
      paths(UsageQuery.safeParse({ groupBy: 'weekday', since: 'yesterday' })).sort(),
      ['groupBy', 'since'],
    );
    assert.deepEqual(paths(UsageQuery.safeParse({ bogus: 1 })), ['']);
  });

  it('is described in the OpenAPI document: every parameter, the report with days and budgets', () => {
    const doc = buildOpenApiDocument() as {
      paths: Record<
        string,
        {
          get: {
            parameters: Array<{ name: string; schema: unknown }>;
            responses: Record<string, unknown>;
          };
        }
      >;
    };
    const op = doc.paths['/api/v1/usage']?.get;
    assert.ok(op);
    assert.deepEqual(op.parameters.map((p) => p.name).sort(), [
      'groupBy',
      'namespace',
      'since',
      'until',
      'user',
    ]);
    const groupBy = op.parameters.find((p) => p.name === 'groupBy')?.schema as { enum: string[] };
    assert.deepEqual(groupBy.enum, ['namespace', 'user', 'agent', 'model']);
    const report = JSON.stringify(op.responses['200']);
    for (const field of ['days', 'budgets', 'burnDown', 'stack', 'calls']) {
      assert.ok(report.includes(field) || JSON.stringify(doc).includes(`"${field}"`), field);
    }
  });
});
