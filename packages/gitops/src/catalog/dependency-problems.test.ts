import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CatalogEntryInput } from './catalog-entry.ts';
import { parseCatalog } from './catalog-graph.ts';
import {
  dependencyProblems,
  describeProblems,
  newDependencyProblems,
} from './dependency-problems.ts';
import { disable, enable } from './dependency-resolution.ts';

function entry(name: string, tier: number, dependsOn: string[], enabled: boolean) {
  const input: CatalogEntryInput = {
    name,
    category: 'platform',
    description: name,
    repoURL: 'https://charts.example.test',
    chart: name,
    targetRevision: '1.0.0',
    namespace: name,
    tier: tier as CatalogEntryInput['tier'],
    dependsOn,
    enabled,
  };
  return input;
}

/** `app:db,cache` = app depends on db and cache; a `+` in front = enabled. */
function catalog(...specs: string[]) {
  const parsed = specs.map((spec) => {
    const enabled = spec.startsWith('+');
    const [name = '', deps = ''] = spec.replace(/^\+/, '').split(':');
    return { name, deps: deps === '' ? [] : deps.split(','), enabled };
  });
  const tierOf = (name: string): number => {
    const node = parsed.find((p) => p.name === name);
    return node === undefined ? 0 : Math.max(0, ...node.deps.map((d) => tierOf(d) + 1));
  };
  return parseCatalog(
    parsed.map((p) => entry(p.name, Math.min(3, tierOf(p.name)), p.deps, p.enabled)),
  ).entries;
}

describe('dependency problems', () => {
  const table: Array<{ state: string[]; problems: Array<[string, string[]]> }> = [
    { state: ['db', 'app:db'], problems: [] },
    { state: ['+db', '+app:db'], problems: [] },
    { state: ['+db', 'app:db'], problems: [] },
    { state: ['db', '+app:db'], problems: [['app', ['db']]] },
    { state: ['+db', 'cache', '+app:db,cache'], problems: [['app', ['cache']]] },
    { state: ['db', 'cache', '+app:db,cache'], problems: [['app', ['db', 'cache']]] },
    { state: ['op', 'db:op', '+app:db'], problems: [['app', ['db']]] },
    { state: ['op', '+db:op', '+app:db'], problems: [['db', ['op']]] },
  ];
  for (const { state, problems } of table) {
    it(`${state.join(' ')} → ${problems.map(([n, m]) => `${n} misses ${m}`).join('; ') || 'none'}`, () => {
      assert.deepEqual(
        dependencyProblems(catalog(...state)),
        problems.map(([name, missing]) => ({ name, missing })),
      );
    });
  }

  it('only what a change adds is new; a dependency not in the catalog is named so', () => {
    const before = catalog('+db', 'cache', '+app:db,cache');
    const after = catalog('db', 'cache', '+app:db,cache');
    assert.deepEqual(newDependencyProblems(before, after), [{ name: 'app', missing: ['db'] }]);
    assert.deepEqual(newDependencyProblems(after, before), []);
    const removed = after.filter((e) => e.name !== 'db');
    assert.equal(
      describeProblems(newDependencyProblems(before, removed), removed),
      'app enabled without db (not in the catalog)',
    );
    assert.equal(
      describeProblems(dependencyProblems(after), after),
      'app enabled without db (disabled), cache (disabled)',
    );
  });

  it('property: enable leaves none; a forced disable leaves exactly what it reports broken', () => {
    const dag = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(fc.nat(), { maxLength: 3 })), {
        minLength: 1,
        maxLength: 10,
      })
      .map((nodes) => {
        const named = nodes.map(([tier], i) => ({ name: `e${i}`, tier }));
        return parseCatalog(
          nodes.map(([tier, picks], i) => {
            const lower = named.filter((n) => n.tier < tier);
            const deps = new Set(
              picks.flatMap((p) => (lower.length > 0 ? [lower[p % lower.length]?.name ?? ''] : [])),
            );
            return entry(`e${i}`, tier, [...deps], false);
          }),
        );
      });
    fc.assert(
      fc.property(
        dag.chain((c) =>
          fc.tuple(
            fc.constant(c),
            fc.subarray(c.entries.map((e) => e.name)),
            fc.subarray(c.entries.map((e) => e.name)),
          ),
        ),
        ([base, on, off]) => {
          const enabled = enable(base, on).catalog;
          assert.deepEqual(dependencyProblems(enabled.entries), []);
          const forced = disable(enabled, off, { force: true });
          const expected = new Map(forced.broken.map((b) => [b.name, [...b.missing].sort()]));
          const actual = new Map(
            newDependencyProblems(enabled.entries, forced.catalog.entries).map((p) => [
              p.name,
              [...p.missing].sort(),
            ]),
          );
          assert.deepEqual(actual, expected);
          assert.deepEqual(
            newDependencyProblems(forced.catalog.entries, forced.catalog.entries),
            [],
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
