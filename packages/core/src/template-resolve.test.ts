import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPaddockError } from './errors.ts';
import { API_VERSION } from './metadata.ts';
import type { SandboxOverrides } from './sandbox.ts';
import type { AnyTemplate, TemplateKind, TemplateRef } from './template.ts';
import { ClusterSandboxTemplate, SandboxTemplate } from './template.ts';
import type { ResolvedTemplate, TemplateLookup } from './template-resolve.ts';
import { applyOverrides, MAX_INHERITANCE_DEPTH, resolveTemplate } from './template-resolve.ts';

const NS = 'team-a';
const BOX = 'Sandbox/my-box';
const CLUSTER = 'ClusterSandboxTemplate';
const env = (name: string, value: string) => ({ name, value });

/** A namespaced template; `spec` is validated like a real resource. */
function nsTemplate(name: string, spec: unknown = {}, namespace = NS): AnyTemplate {
  const kind = 'SandboxTemplate';
  return SandboxTemplate.parse({
    apiVersion: API_VERSION,
    kind,
    metadata: { name, namespace },
    spec,
  });
}
function clusterTemplate(name: string, spec: unknown = {}): AnyTemplate {
  const metadata = { name };
  return ClusterSandboxTemplate.parse({ apiVersion: API_VERSION, kind: CLUSTER, metadata, spec });
}

/** A preloaded store of templates, as the caller of `resolveTemplate` provides it. */
function storeOf(...templates: AnyTemplate[]): TemplateLookup {
  const key = (kind: string, namespace: string | undefined, name: string | undefined) =>
    `${kind}|${namespace ?? ''}|${name ?? ''}`;
  const byKey = new Map(
    templates.map((t) => [key(t.kind, t.metadata.namespace, t.metadata.name), t]),
  );
  return (kind, namespace, name) => byKey.get(key(kind, namespace, name));
}

/** Resolves `name` (a SandboxTemplate in NS unless `kind` says otherwise). */
function resolve(lookup: TemplateLookup, name: string, kind?: TemplateKind): ResolvedTemplate {
  const ref: TemplateRef = kind === undefined ? { name } : { kind, name };
  return resolveTemplate(ref, { lookup, namespace: NS });
}

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

/** A linear chain: t0 inherits from t1 … the last has no parent. Kinds: namespaced then cluster. */
function chainOf(length: number, namespacedCount = length): AnyTemplate[] {
  return Array.from({ length }, (_, index) => {
    const isCluster = index >= namespacedCount;
    const parentIsCluster = index + 1 >= namespacedCount;
    const parent = index + 1 < length ? { name: `t${index + 1}` } : undefined;
    const kind = parentIsCluster ? { kind: CLUSTER } : {};
    const spec = {
      env: [env(`V${index}`, 'x')],
      ...(parent && { inheritsFrom: { ...kind, ...parent } }),
    };
    return isCluster ? clusterTemplate(`t${index}`, spec) : nsTemplate(`t${index}`, spec);
  });
}

describe('resolveTemplate: inheritance', () => {
  it('resolves a lone template, leaving out inheritsFrom, warmPool and overridable', () => {
    const lookup = storeOf(
      nsTemplate('python', {
        image: 'python:3.12',
        warmPool: { size: 2 },
        overridable: ['env', 'env'],
      }),
    );
    const resolved = resolve(lookup, 'python');
    assert.deepEqual(resolved, {
      spec: { image: 'python:3.12' },
      overridable: ['env'],
      origins: { image: 'SandboxTemplate/python' },
      chain: ['SandboxTemplate/python'],
    });
  });

  it('merges root → leaf, records each value’s template, and lists the chain root first', () => {
    const lookup = storeOf(
      clusterTemplate('base', {
        image: 'alpine',
        timeout: '1h',
        env: [env('A', '1'), env('B', '1')],
      }),
      nsTemplate('python', { inheritsFrom: { kind: CLUSTER, name: 'base' }, image: 'python:3.12' }),
      nsTemplate('leaf', { inheritsFrom: { name: 'python' }, env: [env('A', '2')] }),
    );
    const resolved = resolve(lookup, 'leaf');
    assert.deepEqual(resolved.chain, [
      'ClusterSandboxTemplate/base',
      'SandboxTemplate/python',
      'SandboxTemplate/leaf',
    ]);
    assert.deepEqual(resolved.spec, {
      image: 'python:3.12',
      timeout: '1h',
      env: [env('A', '2'), env('B', '1')],
    });
    assert.deepEqual(resolved.origins, {
      image: 'SandboxTemplate/python',
      timeout: 'ClusterSandboxTemplate/base',
      'env.A': 'SandboxTemplate/leaf',
      'env.B': 'ClusterSandboxTemplate/base',
    });
  });

  it('warmPool is not inherited; overridable comes from the nearest template declaring it', () => {
    const lookup = storeOf(
      clusterTemplate('base', { warmPool: { size: 3 }, overridable: ['env', 'timeout'] }),
      nsTemplate('mid', { inheritsFrom: { kind: CLUSTER, name: 'base' }, image: 'alpine' }),
      nsTemplate('leaf', { inheritsFrom: { name: 'mid' }, overridable: ['resources'] }),
      nsTemplate('bare'),
    );
    assert.deepEqual(resolve(lookup, 'mid').overridable, ['env', 'timeout']);
    assert.deepEqual(resolve(lookup, 'leaf').overridable, ['resources']);
    assert.deepEqual(resolve(lookup, 'bare').overridable, []);
    assert.deepEqual(resolve(lookup, 'mid').spec, { image: 'alpine' });
    assert.equal('overridable' in resolve(lookup, 'leaf').origins, false);
  });
});

describe('resolveTemplate: scoping', () => {
  it('a SandboxTemplate ref is looked up in the referrer’s namespace, and so are its parents', () => {
    const lookup = storeOf(
      nsTemplate('base', { image: 'a' }),
      nsTemplate('base', { image: 'b' }, 'team-b'),
      nsTemplate('app', { inheritsFrom: { name: 'base' } }, 'team-b'),
    );
    const resolved = resolveTemplate({ name: 'app' }, { lookup, namespace: 'team-b' });
    assert.deepEqual(resolved.spec, { image: 'b' });
    failure('template_not_found', () => resolve(lookup, 'app'));
  });

  it('a namespaced template may inherit from a cluster template, looked up without a namespace', () => {
    const calls: unknown[] = [];
    const store = storeOf(
      clusterTemplate('base', { image: 'alpine' }),
      nsTemplate('python', { inheritsFrom: { kind: CLUSTER, name: 'base' } }),
    );
    const lookup: TemplateLookup = (...args) => {
      calls.push(args);
      return store(...args);
    };
    assert.deepEqual(resolve(lookup, 'python').spec, { image: 'alpine' });
    assert.deepEqual(calls, [
      ['SandboxTemplate', NS, 'python'],
      ['ClusterSandboxTemplate', undefined, 'base'],
    ]);
  });

  it('a cluster template inheriting from a namespaced one is template_invalid, even if it exists', () => {
    const lookup = storeOf(
      nsTemplate('x', { image: 'alpine' }),
      clusterTemplate('base', { inheritsFrom: { name: 'x' } }),
      nsTemplate('app', { inheritsFrom: { kind: CLUSTER, name: 'base' } }),
    );
    for (const start of [() => resolve(lookup, 'app'), () => resolve(lookup, 'base', CLUSTER)]) {
      const error = failure('template_invalid', start);
      assert.equal(
        error.message,
        'ClusterSandboxTemplate/base is cluster-scoped and cannot inherit from SandboxTemplate/x, a namespaced template',
      );
      assert.deepEqual(error.details, {
        template: 'SandboxTemplate/x',
        referencedBy: 'ClusterSandboxTemplate/base',
      });
    }
  });

  it('a cluster template resolves from cluster scope; a SandboxTemplate needs a namespace', () => {
    const lookup = storeOf(clusterTemplate('base', { image: 'alpine' }), nsTemplate('x'));
    const resolved = resolveTemplate({ kind: CLUSTER, name: 'base' }, { lookup });
    assert.deepEqual(resolved.chain, ['ClusterSandboxTemplate/base']);
    const error = failure('template_invalid', () => resolveTemplate({ name: 'x' }, { lookup }));
    assert.equal(
      error.message,
      'SandboxTemplate/x is a namespaced template and no namespace was given',
    );
  });
});

describe('resolveTemplate: depth limit', () => {
  it(`follows ${MAX_INHERITANCE_DEPTH} inheritsFrom hops (a chain of ${MAX_INHERITANCE_DEPTH + 1} templates)`, () => {
    assert.equal(MAX_INHERITANCE_DEPTH, 10);
    const resolved = resolve(storeOf(...chainOf(11)), 't0');
    assert.equal(resolved.chain.length, 11);
    assert.equal(resolved.chain[0], 'SandboxTemplate/t10');
    assert.equal(resolved.origins['env.V10'], 'SandboxTemplate/t10');
    assert.equal(resolved.spec.env?.length, 11);
  });

  it('rejects one hop more with template_invalid naming the limit', () => {
    const error = failure('template_invalid', () => resolve(storeOf(...chainOf(12)), 't0'));
    assert.match(
      error.message,
      /^inheritance of SandboxTemplate\/t0 is deeper than the limit of 10 inheritsFrom levels: /,
    );
    assert.equal(error.details.limit, 10);
    assert.deepEqual(
      error.details.chain,
      chainOf(12).map((t) => `SandboxTemplate/${t.metadata.name}`),
    );
  });

  it('counts hops across scopes, and checks depth before looking the 12th template up', () => {
    resolve(storeOf(...chainOf(11, 4)), 't0');
    failure('template_invalid', () => resolve(storeOf(...chainOf(12, 4)), 't0'));
    failure('template_invalid', () => resolve(storeOf(...chainOf(12).slice(0, 11)), 't0'));
    failure('template_not_found', () => resolve(storeOf(...chainOf(11).slice(0, 10)), 't0'));
  });
});

describe('resolveTemplate: cycles', () => {
  it('rejects a self-cycle, naming it', () => {
    const lookup = storeOf(nsTemplate('a', { inheritsFrom: { name: 'a' } }));
    const error = failure('template_invalid', () => resolve(lookup, 'a'));
    assert.equal(error.message, 'inheritance cycle: SandboxTemplate/a → SandboxTemplate/a');
    assert.deepEqual(error.details, { cycle: ['SandboxTemplate/a', 'SandboxTemplate/a'] });
  });

  it('rejects a longer cycle reached from outside it, naming the cycle in order', () => {
    const lookup = storeOf(
      nsTemplate('x', { inheritsFrom: { name: 'a' } }),
      nsTemplate('a', { inheritsFrom: { name: 'b' } }),
      nsTemplate('b', { inheritsFrom: { name: 'c' } }),
      nsTemplate('c', { inheritsFrom: { name: 'a' } }),
    );
    const error = failure('template_invalid', () => resolve(lookup, 'x'));
    const cycle = ['a', 'b', 'c', 'a'].map((name) => `SandboxTemplate/${name}`);
    assert.equal(error.message, `inheritance cycle: ${cycle.join(' → ')}`);
    assert.deepEqual(error.details, { cycle });
  });

  it('rejects a cycle of cluster templates, and reports a cycle of 11 as a cycle', () => {
    const lookup = storeOf(
      clusterTemplate('p', { inheritsFrom: { kind: CLUSTER, name: 'q' } }),
      clusterTemplate('q', { inheritsFrom: { kind: CLUSTER, name: 'p' } }),
    );
    const error = failure('template_invalid', () => resolve(lookup, 'p', CLUSTER));
    assert.deepEqual(error.details.cycle, [`${CLUSTER}/p`, `${CLUSTER}/q`, `${CLUSTER}/p`]);
    const ring = chainOf(11).map((t, i) =>
      i < 10 ? t : nsTemplate('t10', { inheritsFrom: { name: 't0' } }),
    );
    const ringError = failure('template_invalid', () => resolve(storeOf(...ring), 't0'));
    assert.equal((ringError.details.cycle as unknown[]).length, 12);
  });
});

describe('resolveTemplate: missing templates', () => {
  it('names the missing parent and who referenced it', () => {
    const lookup = storeOf(
      nsTemplate('python', { inheritsFrom: { name: 'base' } }),
      nsTemplate('go', { inheritsFrom: { kind: CLUSTER, name: 'base' } }),
    );
    const error = failure('template_not_found', () => resolve(lookup, 'python'));
    assert.equal(
      error.message,
      'template SandboxTemplate/base not found in namespace "team-a" (referenced by SandboxTemplate/python)',
    );
    assert.deepEqual(error.details, {
      template: 'SandboxTemplate/base',
      namespace: NS,
      referencedBy: 'SandboxTemplate/python',
    });
    const clusterError = failure('template_not_found', () => resolve(lookup, 'go'));
    assert.equal(
      clusterError.message,
      'template ClusterSandboxTemplate/base not found (referenced by SandboxTemplate/go)',
    );
  });

  it('names the referrer of a missing first template when given', () => {
    const options = { lookup: storeOf(), namespace: NS };
    const error = failure('template_not_found', () =>
      resolveTemplate({ name: 'nope' }, { ...options, referrer: BOX }),
    );
    assert.equal(
      error.message,
      'template SandboxTemplate/nope not found in namespace "team-a" (referenced by Sandbox/my-box)',
    );
    const bare = failure('template_not_found', () => resolveTemplate({ name: 'nope' }, options));
    assert.equal(bare.message, 'template SandboxTemplate/nope not found in namespace "team-a"');
  });
});

describe('applyOverrides', () => {
  const python = 'SandboxTemplate/python';
  const lookup = storeOf(
    clusterTemplate('base', {
      env: [env('A', '1'), env('B', '1')],
      resources: { cpu: '1' },
      timeout: '1h',
    }),
    nsTemplate('python', {
      inheritsFrom: { kind: CLUSTER, name: 'base' },
      overridable: ['env', 'timeout', 'ports'],
      ports: [{ name: 'web', port: 8080 }],
    }),
    nsTemplate('locked', { inheritsFrom: { kind: CLUSTER, name: 'base' } }),
  );

  it('applies allowed fields by the merge rules, attributed to the Sandbox', () => {
    const overrides: SandboxOverrides = {
      env: [env('B', '2'), env('C', '2')],
      timeout: '5m',
      ports: [{ name: 'api', port: 9000 }],
    };
    const { spec, origins, violations } = applyOverrides(resolve(lookup, 'python'), overrides, BOX);
    assert.deepEqual(violations, []);
    assert.deepEqual(spec, {
      env: [env('A', '1'), env('B', '2'), env('C', '2')],
      resources: { cpu: '1' },
      timeout: '5m',
      ports: [
        { name: 'web', port: 8080 },
        { name: 'api', port: 9000 },
      ],
    });
    assert.deepEqual(origins, {
      'env.A': 'ClusterSandboxTemplate/base',
      'env.B': BOX,
      'env.C': BOX,
      'resources.cpu': 'ClusterSandboxTemplate/base',
      timeout: BOX,
      'ports.web': python,
      'ports.api': BOX,
    });
  });

  it('lists every disallowed field, sorted, and applies none of them', () => {
    const resolved = resolve(lookup, 'python');
    const overrides: SandboxOverrides = {
      resources: { cpu: '8' },
      env: [env('A', '9')],
      network: { egress: 'open' },
      isolation: 'process',
    };
    const { spec, origins, violations } = applyOverrides(resolved, overrides, BOX);
    assert.deepEqual(
      violations,
      ['isolation', 'network', 'resources'].map((field) => ({
        code: 'override_not_allowed',
        field,
        message: `field "${field}" is not overridable in template ${python}`,
      })),
    );
    assert.deepEqual(spec, { ...resolved.spec, env: [env('A', '9'), env('B', '1')] });
    assert.deepEqual(origins, { ...resolved.origins, 'env.A': BOX });
  });

  it('denies by default, including fields no Sandbox may ever set', () => {
    const resolved = resolve(lookup, 'locked');
    const before = structuredClone(resolved);
    const smuggled: SandboxOverrides = JSON.parse('{"image":"evil","timeout":"0"}');
    const { spec, origins, violations } = applyOverrides(resolved, smuggled, BOX);
    assert.deepEqual(
      violations.map((v) => v.field),
      ['image', 'timeout'],
    );
    assert.equal(
      violations[0]?.message,
      'field "image" is not overridable in template SandboxTemplate/locked',
    );
    assert.deepEqual({ spec, origins }, { spec: resolved.spec, origins: resolved.origins });
    assert.deepEqual(resolved, before);
  });
});

describe('resolution invariants (fast-check)', () => {
  // Dense graphs over a few slots (each a kind, namespace and name), so that chains, cycles,
  // missing refs ('zz', absent slots) and cross-scope refs all come up often.
  const names = ['a', 'b', 'c', 'd'] as const;
  const slots = [
    ...names.flatMap((name) => [
      { isCluster: false, name, namespace: NS },
      { isCluster: true, name, namespace: NS },
    ]),
    { isCluster: false, name: 'a', namespace: 'team-b' },
  ];
  const refArb = fc.record(
    {
      kind: fc.constantFrom('SandboxTemplate', CLUSTER, CLUSTER),
      name: fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 12 }, fc.constant('zz')),
    },
    { requiredKeys: ['name'], noNullPrototype: true },
  );
  const nodeArb = fc.record(
    {
      parent: fc.option(refArb, { nil: undefined, freq: 6 }),
      image: fc.constantFrom('alpine', 'python'),
      envValue: fc.constantFrom('1', '2'),
    },
    { noNullPrototype: true },
  );
  type Node = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;
  const graphArb = fc.tuple(...slots.map(() => fc.option(nodeArb, { nil: undefined, freq: 10 })));
  const templatesOf = (nodes: ReadonlyArray<Node | undefined>) =>
    slots.flatMap((slot, index) => {
      const node = nodes[index];
      if (node === undefined) return [];
      const inherits = node.parent && { inheritsFrom: node.parent };
      const spec = { image: node.image, env: [env('V', node.envValue)], ...inherits };
      const { isCluster, name, namespace } = slot;
      return [isCluster ? clusterTemplate(name, spec) : nsTemplate(name, spec, namespace)];
    });
  const startNamespace = fc.option(fc.constantFrom(NS, NS, NS, 'team-b'), {
    nil: undefined,
    freq: 8,
  });

  /** The result, or the error's JSON: anything but template_invalid / template_not_found fails. */
  function outcome(ref: TemplateRef, lookup: TemplateLookup, namespace: string | undefined) {
    try {
      return {
        ok: resolveTemplate(ref, { lookup, ...(namespace !== undefined && { namespace }) }),
      };
    } catch (error) {
      assert.ok(isPaddockError(error), String(error));
      assert.ok(['template_invalid', 'template_not_found'].includes(error.code), error.message);
      return { error: error.toJSON() };
    }
  }

  const CATEGORIES = ['alone', 'cycle', 'inherited', 'scope', 'template_not_found'];
  /** Which way a resolution ended, to check that the graphs reach every case. */
  function category(result: ReturnType<typeof outcome>): string {
    if (result.ok) return result.ok.chain.length > 1 ? 'inherited' : 'alone';
    const { code, details } = result.error;
    return code === 'template_invalid' ? (details.cycle ? 'cycle' : 'scope') : code;
  }

  // The timeout turns a hang on cyclic input into a failure instead of a stalled run.
  it('ends on any graph with a result or a template error, deterministically', {
    timeout: 60_000,
  }, () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(graphArb, refArb, startNamespace, (nodes, ref, namespace) => {
        const templates = templatesOf(nodes);
        const first = outcome(ref, storeOf(...templates), namespace);
        const again = outcome(structuredClone(ref), storeOf(...templatesOf(nodes)), namespace);
        assert.deepEqual(again, first);
        seen.add(category(first));
        if (first.ok === undefined) return;
        const { chain } = first.ok;
        assert.equal(new Set(chain).size, chain.length);
        assert.equal(chain.at(-1), `${ref.kind ?? 'SandboxTemplate'}/${ref.name}`);
        if (ref.kind === CLUSTER) assert.ok(chain.every((l) => l.startsWith(`${CLUSTER}/`)));
      }),
      { numRuns: 1000 },
    );
    assert.deepEqual([...seen].sort(), CATEGORIES);
  });

  it('a linear chain resolves exactly when it has at most 11 templates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 0, max: 15 }),
        (length, namespaced) => {
          const lookup = storeOf(...chainOf(length, namespaced));
          const kind = namespaced === 0 ? CLUSTER : undefined;
          const result = outcome(kind ? { kind, name: 't0' } : { name: 't0' }, lookup, NS);
          if (length <= MAX_INHERITANCE_DEPTH + 1) assert.equal(result.ok?.chain.length, length);
          else assert.equal(result.error?.details.limit, MAX_INHERITANCE_DEPTH);
        },
      ),
    );
  });

  it('a cycle of any length up to the limit is reported as that cycle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 0, max: 10 }),
        (size, entry) => {
          const ring = Array.from({ length: size }, (_, i) =>
            nsTemplate(`r${i}`, { inheritsFrom: { name: `r${(i + 1) % size}` } }),
          );
          const result = outcome({ name: `r${entry % size}` }, storeOf(...ring), NS);
          const cycle = result.error?.details.cycle as string[];
          assert.equal(cycle.length, size + 1);
          assert.equal(cycle[0], cycle.at(-1));
        },
      ),
    );
  });
});
