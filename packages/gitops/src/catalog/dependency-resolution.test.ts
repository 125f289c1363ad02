import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import fc from 'fast-check';
import { DEFAULT_CATALOG } from './catalog.ts';
import type { CatalogEntryInput } from './catalog-entry.ts';
import { type Catalog, findCycle, parseCatalog, withEntries } from './catalog-graph.ts';
import { disable, enable, enabledNames } from './dependency-resolution.ts';

/** Runs `fn`, expecting a PaddockError of `code`; returns it. */
function failure(code: string, fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(isPaddockError(error), String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

function entry(name: string, tier: number, dependsOn: string[] = []): CatalogEntryInput {
  return {
    name,
    category: 'platform',
    description: name,
    repoURL: 'https://charts.example.test',
    chart: name,
    targetRevision: '1.0.0',
    namespace: name,
    tier: tier as CatalogEntryInput['tier'],
    dependsOn,
  };
}

/** A random valid catalog: n entries, each depending on some entries of lower tiers. */
const dagArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(fc.nat(), { maxLength: 4 })), {
    minLength: 1,
    maxLength: 12,
  })
  .map((nodes) => {
    const inputs = nodes.map(([tier], i) => ({ name: `e${i}`, tier, dependsOn: [] as string[] }));
    nodes.forEach(([tier, picks], i) => {
      const lower = inputs.filter((n) => n.tier < tier);
      const deps = new Set(
        picks.flatMap((p) => (lower.length > 0 ? [lower[p % lower.length]?.name ?? ''] : [])),
      );
      const node = inputs[i];
      if (node !== undefined) node.dependsOn = [...deps];
    });
    return inputs.map((n) => entry(n.name, n.tier, n.dependsOn));
  });

const catalogArb = dagArb.map((inputs) => parseCatalog(inputs));

/** A catalog plus a random subset of its names (possibly empty). */
function withNames(catalog: Catalog) {
  const names = catalog.entries.map((e) => e.name);
  return fc.subarray(names);
}

function isClosed(catalog: Catalog): boolean {
  return catalog.entries.every(
    (e) => !e.enabled || e.dependsOn.every((d) => catalog.byName.get(d)?.enabled === true),
  );
}

describe('enable', () => {
  it('pulls in dependencies transitively, dependencies first', () => {
    const { catalog, enabled } = enable(DEFAULT_CATALOG, ['litellm']);
    assert.deepEqual(enabled, ['cloudnative-pg', 'postgresql', 'valkey', 'litellm']);
    assert.ok(isClosed(catalog));
    assert.deepEqual(enable(catalog, ['litellm']).enabled, []);
  });

  it('names unknown entries with near matches', () => {
    const error = failure('not_found', () => enable(DEFAULT_CATALOG, ['litelm', 'qdrant', 'zzzz']));
    assert.match(error.message, /litelm \(did you mean litellm\?\)/);
    assert.deepEqual(error.details['unknown'], ['litelm', 'zzzz']);
  });

  it('property: enabling any set from any closed state yields a closed set', () => {
    fc.assert(
      fc.property(
        catalogArb.chain((c) => fc.tuple(fc.constant(c), withNames(c), withNames(c))),
        ([catalog, first, second]) => {
          const start = enable(catalog, first).catalog;
          const { catalog: after, enabled } = enable(start, second);
          assert.ok(isClosed(after));
          for (const name of [...first, ...second]) assert.ok(after.byName.get(name)?.enabled);
          // Nothing already on is reported, and everything reported is now on.
          for (const name of enabled) assert.equal(start.byName.get(name)?.enabled, false);
        },
      ),
    );
  });

  it('property: tiers order dependencies, and enable reports dependencies before dependents', () => {
    fc.assert(
      fc.property(
        catalogArb.chain((c) => fc.tuple(fc.constant(c), withNames(c))),
        ([catalog, names]) => {
          for (const e of catalog.entries) {
            for (const d of e.dependsOn) assert.ok((catalog.byName.get(d)?.tier ?? 9) < e.tier);
          }
          const { enabled } = enable(catalog, names);
          enabled.forEach((name, i) => {
            for (const d of catalog.byName.get(name)?.dependsOn ?? []) {
              assert.ok(enabled.indexOf(d) < i, `${d} before ${name}`);
            }
          });
        },
      ),
    );
  });
});

describe('disable', () => {
  const on = enable(DEFAULT_CATALOG, ['litellm', 'temporal']).catalog;

  it('refuses while enabled dependents exist, naming them', () => {
    const error = failure('conflict', () => disable(on, ['postgresql']));
    assert.match(error.message, /litellm \(needs postgresql\)/);
    assert.match(error.message, /temporal \(needs postgresql\)/);
    assert.match(error.message, /--force/);
  });

  it('disables a dependency together with all its dependents', () => {
    const { catalog, disabled } = disable(on, ['postgresql', 'litellm', 'temporal']);
    assert.deepEqual(disabled, ['postgresql', 'litellm', 'temporal']);
    assert.ok(isClosed(catalog));
    assert.ok(catalog.byName.get('valkey')?.enabled, 'valkey stays: nobody asked to disable it');
  });

  it('with force disables only what was named and lists what it leaves broken', () => {
    const { catalog, disabled, broken } = disable(on, ['postgresql'], { force: true });
    assert.deepEqual(disabled, ['postgresql']);
    assert.deepEqual(broken, [
      { name: 'litellm', missing: ['postgresql'] },
      { name: 'temporal', missing: ['postgresql'] },
    ]);
    assert.ok(catalog.byName.get('litellm')?.enabled);
  });

  it('is a no-op for entries already off, and rejects unknown names', () => {
    assert.deepEqual(disable(on, ['qdrant']).disabled, []);
    failure('not_found', () => disable(on, ['postgres']));
  });

  it('property: disable without force never leaves a dependent without its dependency', () => {
    fc.assert(
      fc.property(
        catalogArb.chain((c) => fc.tuple(fc.constant(c), withNames(c), withNames(c))),
        ([catalog, toEnable, toDisable]) => {
          const start = enable(catalog, toEnable).catalog;
          let result: ReturnType<typeof disable> | undefined;
          try {
            result = disable(start, toDisable);
          } catch (error) {
            assert.ok(isPaddockError(error, 'conflict'), String(error));
            // Refused only because a remaining enabled entry needs a named one.
            const dependents = error.details['dependents'] as { name: string }[];
            assert.ok(dependents.length > 0);
            for (const { name } of dependents) assert.ok(!toDisable.includes(name));
            return;
          }
          assert.ok(isClosed(result.catalog));
          assert.deepEqual(result.broken, []);
          for (const name of toDisable)
            assert.equal(result.catalog.byName.get(name)?.enabled, false);
        },
      ),
    );
  });

  it('property: with force, exactly the named entries go off and broken is exact', () => {
    fc.assert(
      fc.property(
        catalogArb.chain((c) => fc.tuple(fc.constant(c), withNames(c), withNames(c))),
        ([catalog, toEnable, toDisable]) => {
          const start = enable(catalog, toEnable).catalog;
          const { catalog: after, broken } = disable(start, toDisable, { force: true });
          const before = new Set(enabledNames(start));
          assert.deepEqual(
            new Set(enabledNames(after)),
            new Set([...before].filter((n) => !toDisable.includes(n))),
          );
          const expected = after.entries
            .filter((e) => e.enabled && e.dependsOn.some((d) => !after.byName.get(d)?.enabled))
            .map((e) => e.name);
          assert.deepEqual(
            broken.map((b) => b.name),
            expected,
          );
        },
      ),
    );
  });
});

describe('catalog validation', () => {
  it('property: random DAGs are accepted', () => {
    fc.assert(fc.property(dagArb, (inputs) => void parseCatalog(inputs)));
  });

  it('property: a random cycle is always rejected, and the named cycle is real', () => {
    const cyclicArb = dagArb.chain((inputs) =>
      fc.tuple(
        fc.constant(inputs),
        fc.uniqueArray(fc.nat({ max: inputs.length - 1 }), {
          minLength: 1,
          maxLength: inputs.length,
        }),
      ),
    );
    fc.assert(
      fc.property(cyclicArb, ([inputs, loop]) => {
        const names = loop.map((i) => `e${i}`);
        const cyclic = inputs.map((e) => {
          const at = names.indexOf(e.name);
          if (at < 0) return e;
          const next = names[(at + 1) % names.length] ?? e.name;
          const dependsOn = [...new Set([...(e.dependsOn ?? []), next])];
          return { ...e, dependsOn };
        });
        const error = failure('validation_failed', () => parseCatalog(cyclic));
        const match = /dependency cycle: ([a-z0-9 >-]+)/.exec(error.message);
        assert.ok(match?.[1], error.message);
        const cycle = match[1].split(' -> ');
        assert.equal(cycle[0], cycle.at(-1));
        const deps = new Map(cyclic.map((e) => [e.name, e.dependsOn ?? []]));
        for (let i = 0; i + 1 < cycle.length; i++) {
          assert.ok(
            deps.get(cycle[i] ?? '')?.includes(cycle[i + 1] ?? ''),
            `edge ${cycle[i]} -> ${cycle[i + 1]}`,
          );
        }
      }),
    );
  });

  it('names the cycle in a user-supplied entry', () => {
    const error = failure('validation_failed', () =>
      withEntries(DEFAULT_CATALOG, [
        { ...entry('cloudnative-pg', 0, ['mine']) },
        entry('mine', 2, ['postgresql']),
      ]),
    );
    assert.match(error.message, /dependency cycle: (\S+ -> )+\S+/);
    assert.match(error.message, /mine/);
  });

  it('rejects a dependency in the same or a higher tier, an unknown dependency, a moving revision', () => {
    let error = failure('validation_failed', () =>
      parseCatalog([entry('a', 1), entry('b', 1, ['a'])]),
    );
    assert.match(error.message, /b\.tier: tier 1 depends on a in tier 1/);
    error = failure('validation_failed', () => parseCatalog([entry('b', 1, ['nope'])]));
    assert.match(error.message, /depends on nope, which is not in the catalog/);
    error = failure('validation_failed', () =>
      parseCatalog([{ ...entry('a', 0), targetRevision: 'latest' }]),
    );
    assert.match(error.message, /pinned version/);
    error = failure('validation_failed', () =>
      parseCatalog([{ ...entry('a', 0), path: 'charts/a' }]),
    );
    assert.match(error.message, /exactly one of chart/);
  });

  it('adds a valid user entry and finds no cycle in the compiled catalog', () => {
    const catalog = withEntries(DEFAULT_CATALOG, [entry('my-rag', 3, ['qdrant', 'litellm'])]);
    assert.deepEqual(enable(catalog, ['my-rag']).enabled.at(-1), 'my-rag');
    assert.equal(findCycle(DEFAULT_CATALOG.byName), undefined);
    assert.deepEqual(findCycle(new Map([['a', { dependsOn: ['a'] }]])), ['a', 'a']);
  });
});
