import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { MergeRule } from './template.ts';
import { MERGE_RULES, TemplateSpec } from './template.ts';
import type { MergeableSpec, Merged, MergeRules } from './template-merge.ts';
import { emptyMerged, mergeEnvironment, sourceLabel } from './template-merge.ts';

const BASE = 'ClusterSandboxTemplate/base';
const PY = 'SandboxTemplate/python';
const BOX = 'Sandbox/my-box';

/** `env('A=1', 'B=2')`: env vars from `NAME=value` pairs. */
const env = (...pairs: string[]) =>
  pairs.map((pair) => {
    const [name = '', value = ''] = pair.split('=');
    return { name, value };
  });

/** A spec whose every value came from one source. */
function from(spec: MergeableSpec, source: string): Merged<MergeableSpec> {
  return mergeEnvironment(emptyMerged(), spec, source);
}

// Arbitraries over small alphabets, so that keys and items collide often. `unique` generates lists
// without repeated keys or items, the form a merge result always has.
const opt = { requiredKeys: [] as [], noNullPrototype: true };
const all = { noNullPrototype: true };
const json = (value: unknown) => JSON.stringify(value);
const byName = (value: { name: string }) => value.name;
const duration = fc.constantFrom('0', '30s', '5m', '1h');
const quantity = fc.constantFrom('500m', '1', '2', '512Mi', '2Gi');
/** A workspace is 16Mi at least (admission refuses smaller). */
const workspaceSize = fc.constantFrom('16Mi', '512Mi', '2Gi', '10Gi');
const one = fc.constantFrom;

function specArb(unique: boolean): fc.Arbitrary<MergeableSpec> {
  const list = <T>(item: fc.Arbitrary<T>, selector: (value: T) => unknown) =>
    unique ? fc.uniqueArray(item, { maxLength: 4, selector }) : fc.array(item, { maxLength: 4 });
  const req = <K extends string>(...requiredKeys: K[]) => ({ requiredKeys, noNullPrototype: true });
  const argv = fc.array(one('sh', '-c', 'make'), { minLength: 1, maxLength: 3 });
  const envVar = fc.record({ name: one('A', 'B', 'HOME'), value: one('1', '2') }, all);
  const mount = fc.record(
    {
      name: one('m1', 'm2'),
      mountPath: one('/a', '/b'),
      hostPath: one('/srv/a', '/srv/b'),
      readOnly: fc.boolean(),
    },
    req('name', 'mountPath', 'hostPath'),
  );
  const repo = fc.record({ url: one('u1', 'u2', 'u3'), ref: one('main', 'dev') }, req('url'));
  const file = fc.record(
    { path: one('/etc/motd', '/etc/a.conf', '/x'), content: one('a', 'b'), mode: one('0644') },
    req('path', 'content'),
  );
  const init = fc.record({ name: one('i1', 'i2'), command: argv }, all);
  const credential = fc.record({ name: one('c1', 'c2'), as: one('gateway', 'env', 'file') }, all);
  const port = fc.record(
    { name: one('web', 'api'), port: one(80, 8080), protocol: one('http', 'tcp') },
    req('name', 'port'),
  );
  const volume = fc.record(
    {
      name: one('cache', 'data'),
      mountPath: one('/mnt/a', '/workspace/b'),
      readOnly: fc.boolean(),
    },
    req('name', 'mountPath'),
  );
  const resources = { cpu: quantity, memory: quantity, storage: workspaceSize, pids: one(64, 128) };
  const network = {
    egress: one('none', 'allowlist', 'open'),
    allowedDomains: list(one('a.com', '*.b.org', 'c.io'), json),
    allowedServices: list(one('ns/x', 'ns/y'), json),
  };
  return fc.record(
    {
      description: one('d1', 'd2'),
      image: one('alpine', 'python:3.12'),
      rootfs: one('/r1', '/r2'),
      command: argv,
      workingDir: one('/w1', '/w2'),
      env: list(envVar, byName),
      resources: fc.record(resources, opt),
      timeout: duration,
      idleTimeout: duration,
      isolation: one('process', 'gvisor', 'kata'),
      network: fc.record(network, opt),
      workspace: fc.record({ size: workspaceSize }, opt),
      mounts: list(mount, byName),
      repos: list(repo, json),
      files: list(file, (f) => f.path),
      init: list(init, byName),
      credentials: list(credential, byName),
      ports: list(port, byName),
      volumes: list(volume, byName),
      overridable: fc.uniqueArray(one('env', 'resources', 'timeout'), { maxLength: 3 }),
    },
    opt,
  );
}

const anySpec = specArb(false);
const uniqueSpec = specArb(true);
const labels = fc.constantFrom(BASE, PY, BOX);

/** Every path a spec's values are addressed by in `Origins`, derived from the rule table. */
function leafPaths(value: unknown, rules: MergeRules, prefix = ''): string[] {
  const spec = (value ?? {}) as Record<string, unknown>;
  return Object.entries(rules).flatMap(([field, rule]) =>
    pathsOf(spec[field], rule, prefix + field),
  );
}
function pathsOf(value: unknown, rule: MergeRule, path: string): string[] {
  if (value === undefined) return [];
  switch (rule.rule) {
    case 'override':
      return [path];
    case 'append':
      return (value as unknown[]).map((_, index) => `${path}[${index}]`);
    case 'merge-by-key':
      return (value as Array<Record<string, string>>).map((item) => `${path}.${item[rule.key]}`);
    case 'merge-fields':
      return leafPaths(value, rule.fields, `${path}.`);
  }
}

describe('merge rules', () => {
  it('override: the child value replaces the parent value when present, whole', () => {
    const parent = from({ image: 'alpine', command: ['sh', '-c', 'x'], timeout: '1h' }, BASE);
    const { spec, origins } = mergeEnvironment(parent, { command: ['bash'], timeout: '0' }, PY);
    assert.deepEqual(spec, { image: 'alpine', command: ['bash'], timeout: '0' });
    assert.deepEqual(origins, { image: BASE, command: PY, timeout: PY });
  });

  it('append: parent items then child items, structural duplicates dropped', () => {
    const parent = from({ repos: [{ url: 'u1' }, { url: 'u2', ref: 'main' }] }, BASE);
    const child = { repos: [{ ref: 'main', url: 'u2' }, { url: 'u3' }, { url: 'u1', ref: 'dev' }] };
    const { spec, origins } = mergeEnvironment(parent, child, PY);
    const urls = spec.repos?.map((repo) => `${repo.url}@${repo.ref ?? ''}`);
    assert.deepEqual(urls, ['u1@', 'u2@main', 'u3@', 'u1@dev']);
    assert.deepEqual(origins, {
      'repos[0]': BASE,
      'repos[1]': BASE,
      'repos[2]': PY,
      'repos[3]': PY,
    });
  });

  it('append: duplicates inside one list are dropped too, and origins follow the new indices', () => {
    const path = 'network.allowedDomains';
    const parent: Merged<MergeableSpec> = {
      spec: { network: { allowedDomains: ['a.com', 'a.com', 'c.io'] } },
      origins: { [`${path}[0]`]: BASE, [`${path}[1]`]: BASE, [`${path}[2]`]: PY },
    };
    const child = { network: { allowedDomains: ['x.io', 'x.io'] } };
    const { spec, origins } = mergeEnvironment(parent, child, BOX);
    assert.deepEqual(spec.network?.allowedDomains, ['a.com', 'c.io', 'x.io']);
    assert.deepEqual(origins, { [`${path}[0]`]: BASE, [`${path}[1]`]: PY, [`${path}[2]`]: BOX });
  });

  it('merge-by-key (name): same name replaced in place, new names appended in child order', () => {
    const parent = from({ env: env('A=1', 'B=1') }, BASE);
    const { spec, origins } = mergeEnvironment(parent, { env: env('C=2', 'A=2', 'D=2') }, PY);
    assert.deepEqual(spec.env, env('A=2', 'B=1', 'C=2', 'D=2'));
    assert.deepEqual(origins, { 'env.A': PY, 'env.B': BASE, 'env.C': PY, 'env.D': PY });
  });

  it('merge-by-key (path): files keyed by path; a repeated key in one list keeps the last item', () => {
    const file = (path: string, content: string) => ({ path, content });
    const parent = from({ files: [file('/etc/motd', 'hi')] }, BASE);
    const child = { files: [file('/x', 'a'), file('/etc/motd', 'yo'), file('/x', 'b')] };
    const { spec, origins } = mergeEnvironment(parent, child, PY);
    assert.deepEqual(spec.files, [file('/etc/motd', 'yo'), file('/x', 'b')]);
    assert.deepEqual(origins, { 'files./etc/motd': PY, 'files./x': PY });
  });

  it('merge-fields: nested fields merge by their own rules, unset nested fields are inherited', () => {
    const network = { egress: 'allowlist' as const, allowedDomains: ['a.com'] };
    const parent = from({ resources: { cpu: '1', memory: '1Gi' }, network }, BASE);
    const child: MergeableSpec = {
      resources: { memory: '2Gi', pids: 64 },
      network: { allowedDomains: ['c.io'] },
      workspace: { size: '1Gi' },
    };
    const { spec, origins } = mergeEnvironment(parent, child, PY);
    assert.deepEqual(spec, {
      resources: { cpu: '1', memory: '2Gi', pids: 64 },
      network: { egress: 'allowlist', allowedDomains: ['a.com', 'c.io'] },
      workspace: { size: '1Gi' },
    });
    assert.deepEqual(origins, {
      'resources.cpu': BASE,
      'resources.memory': PY,
      'resources.pids': PY,
      'network.egress': BASE,
      'network.allowedDomains[0]': BASE,
      'network.allowedDomains[1]': PY,
      'workspace.size': PY,
    });
  });

  it('an empty list or object from the child is present: it keeps the parent items and adds none', () => {
    const parent = from({ env: env('A=1'), repos: [{ url: 'u1' }], command: ['sh'] }, BASE);
    const { spec, origins } = mergeEnvironment(parent, { env: [], repos: [], resources: {} }, PY);
    assert.deepEqual(spec, {
      env: env('A=1'),
      repos: [{ url: 'u1' }],
      command: ['sh'],
      resources: {},
    });
    assert.deepEqual(origins, { 'env.A': BASE, 'repos[0]': BASE, command: BASE });
  });

  it('drops fields without a rule (inheritsFrom, warmPool) and does not mutate its inputs', () => {
    const parentSpec = TemplateSpec.parse({
      image: 'alpine',
      warmPool: { size: 2 },
      env: env('A=1'),
    });
    const childSpec = TemplateSpec.parse({ inheritsFrom: { name: 'base' }, env: env('A=2') });
    const before = structuredClone([parentSpec, childSpec]);
    const { spec } = mergeEnvironment(from(parentSpec, BASE), childSpec, PY);
    assert.deepEqual(spec, { image: 'alpine', env: env('A=2') });
    assert.deepEqual([parentSpec, childSpec], before);
  });

  it('interprets any rule table: a new field needs only a rule', () => {
    const rules: MergeRules = {
      tags: { rule: 'append' },
      nested: {
        rule: 'merge-fields',
        fields: { vars: { rule: 'merge-by-key', key: 'name' }, mode: { rule: 'override' } },
      },
    };
    type Custom = { tags?: string[]; nested?: { vars?: typeof parentVars; mode?: string } };
    const parentVars = env('X=1');
    const empty: Merged<Custom> = { spec: {}, origins: {} };
    const parent = mergeEnvironment<Custom>(
      empty,
      { tags: ['a'], nested: { vars: parentVars, mode: 'p' } },
      'P',
      rules,
    );
    const child: Custom = { tags: ['b', 'a'], nested: { vars: env('Y=2', 'X=3') } };
    const { spec, origins } = mergeEnvironment(parent, child, 'C', rules);
    assert.deepEqual(spec, { tags: ['a', 'b'], nested: { vars: env('X=3', 'Y=2'), mode: 'p' } });
    assert.deepEqual(origins, {
      'tags[0]': 'P',
      'tags[1]': 'C',
      'nested.vars.X': 'C',
      'nested.vars.Y': 'C',
      'nested.mode': 'P',
    });
  });

  it('a value whose shape does not fit its rule replaces the parent value and its origins', () => {
    const rules: MergeRules = { list: { rule: 'append' } };
    type Loose = Record<string, unknown>;
    const empty: Merged<Loose> = { spec: {}, origins: {} };
    const parent = mergeEnvironment<Loose>(empty, { list: ['a'] }, 'P', rules);
    const replaced = mergeEnvironment<Loose>(parent, { list: 'scalar' }, 'C', rules);
    assert.deepEqual(replaced, { spec: { list: 'scalar' }, origins: { list: 'C' } });
    const again = mergeEnvironment<Loose>(replaced, { list: ['b'] }, 'D', rules);
    assert.deepEqual(again, { spec: { list: ['b'] }, origins: { 'list[0]': 'D' } });
  });

  it('labels sources as Kind/name', () => {
    assert.equal(sourceLabel('SandboxTemplate', 'python'), PY);
  });
});

describe('provenance across a chain', () => {
  it('records, for every value, the template that set it', () => {
    const resources = { cpu: '1', memory: '1Gi' };
    const base = from({ image: 'alpine', timeout: '1h', env: env('HOME=/root'), resources }, BASE);
    const python = mergeEnvironment(
      base,
      {
        image: 'python:3.12',
        env: env('PIP=1'),
        resources: { memory: '2Gi' },
        files: [{ path: '/etc/motd', content: 'py' }],
      },
      PY,
    );
    const ports = [{ name: 'web', port: 8080 }];
    const box = mergeEnvironment(python, { env: env('HOME=/home/u'), ports }, BOX);
    assert.deepEqual(box.origins, {
      image: PY,
      timeout: BASE,
      'env.HOME': BOX,
      'env.PIP': PY,
      'resources.cpu': BASE,
      'resources.memory': PY,
      'files./etc/motd': PY,
      'ports.web': BOX,
    });
  });
});

/** The append lists of a spec, in a fixed order. */
const appendLists = (s: MergeableSpec): unknown[][] => [
  s.repos ?? [],
  s.network?.allowedDomains ?? [],
  s.network?.allowedServices ?? [],
];
const keyedFields = Object.entries(MERGE_RULES).flatMap(([field, rule]) =>
  rule.rule === 'merge-by-key' ? [[field, rule.key] as const] : [],
);
const itemsOf = (s: Readonly<Record<string, unknown>>, field: string) =>
  (s[field] ?? []) as Array<Record<string, unknown>>;

describe('merge invariants (fast-check)', () => {
  it('the arbitraries generate valid template specs', () => {
    fc.assert(fc.property(anySpec, (spec) => assert.ok(TemplateSpec.safeParse(spec).success)));
  });

  it('merging with an empty child is the identity', () => {
    fc.assert(
      fc.property(anySpec, anySpec, labels, (a, b, label) => {
        const parent = mergeEnvironment(from(a, BASE), b, PY);
        assert.deepEqual(mergeEnvironment(parent, {}, label), parent);
      }),
    );
  });

  it('merging an empty parent with X gives X, every value attributed to the one source', () => {
    fc.assert(
      fc.property(uniqueSpec, labels, (spec, label) => {
        const merged = mergeEnvironment(emptyMerged(), spec, label);
        assert.deepEqual(merged.spec, spec);
        assert.deepEqual(Object.keys(merged.origins).sort(), leafPaths(spec, MERGE_RULES).sort());
        assert.ok(Object.values(merged.origins).every((origin) => origin === label));
      }),
    );
  });

  it('with repeated keys or items, merging from empty normalizes once: doing it again changes nothing', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const once = from(spec, PY);
        assert.deepEqual(from(once.spec, PY), once);
      }),
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(anySpec, anySpec, (a, b) => {
        const first = mergeEnvironment(from(a, BASE), b, PY);
        const second = mergeEnvironment(from(structuredClone(a), BASE), structuredClone(b), PY);
        assert.deepEqual(second, first);
      }),
    );
  });

  it('override fields: the child wins whenever present, the parent value stays otherwise', () => {
    const fields = Object.entries(MERGE_RULES).filter(([, rule]) => rule.rule === 'override');
    fc.assert(
      fc.property(anySpec, anySpec, (a, b) => {
        const { spec, origins } = mergeEnvironment(from(a, BASE), b, PY);
        for (const [field] of fields) {
          const key = field as keyof MergeableSpec;
          assert.deepEqual(spec[key], b[key] ?? a[key], field);
          if (b[key] !== undefined) assert.equal(origins[field], PY);
          else if (a[key] !== undefined) assert.equal(origins[field], BASE);
        }
        assert.deepEqual(spec.resources?.cpu, b.resources?.cpu ?? a.resources?.cpu);
        assert.deepEqual(spec.network?.egress, b.network?.egress ?? a.network?.egress);
      }),
    );
  });

  it('merge-by-key fields: keys of the result are the union, child values win, parent order first', () => {
    const fields = keyedFields.map(([field]) => field).sort();
    assert.deepEqual(fields, ['credentials', 'env', 'files', 'init', 'mounts', 'ports', 'volumes']);
    fc.assert(
      fc.property(uniqueSpec, uniqueSpec, (a, b) => {
        const { spec } = mergeEnvironment(from(a, BASE), b, PY);
        for (const [field, key] of keyedFields) {
          const keysOf = (s: MergeableSpec) => itemsOf(s, field).map((item) => item[key]);
          assert.deepEqual(keysOf(spec), [...new Set([...keysOf(a), ...keysOf(b)])], field);
          for (const item of itemsOf(spec, field)) {
            const sameKey = (s: MergeableSpec) =>
              itemsOf(s, field).find((i) => i[key] === item[key]);
            assert.deepEqual(item, sameKey(b) ?? sameKey(a));
          }
        }
      }),
    );
  });

  it('append fields: parent items first, every item kept, no structural duplicates', () => {
    fc.assert(
      fc.property(uniqueSpec, anySpec, (a, b) => {
        const { spec } = mergeEnvironment(from(a, BASE), b, PY);
        appendLists(spec).forEach((merged, index) => {
          const parent = appendLists(a)[index] ?? [];
          assert.deepEqual(merged.slice(0, parent.length), parent);
          assert.equal(new Set(merged.map(json)).size, merged.length);
          const all = [...parent, ...(appendLists(b)[index] ?? [])];
          assert.ok(all.every((item) => merged.some((m) => isDeepStrictEqual(m, item))));
        });
      }),
    );
  });

  it('provenance: each origin names the last template that set the value (first, for an appended item)', () => {
    fc.assert(
      fc.property(fc.array(uniqueSpec, { minLength: 1, maxLength: 4 }), (specs) => {
        const sources = specs.map((_, index) => `SandboxTemplate/t${index}`);
        const merged = specs.reduce(
          (acc, spec, index) => mergeEnvironment(acc, spec, sources[index] ?? ''),
          emptyMerged(),
        );
        const paths = leafPaths(merged.spec, MERGE_RULES);
        assert.deepEqual(Object.keys(merged.origins).sort(), paths.sort());
        for (const [path, origin] of Object.entries(merged.origins)) {
          const item = /^(.*)\[(\d+)\]$/.exec(path);
          if (item === null) {
            const last = specs.findLastIndex((s) => leafPaths(s, MERGE_RULES).includes(path));
            assert.equal(origin, sources[last], path);
            continue;
          }
          const [, list = '', index = ''] = item;
          const at = (s: unknown) =>
            list.split('.').reduce((v, k) => (v as Record<string, unknown> | undefined)?.[k], s);
          const value = (at(merged.spec) as unknown[])[Number(index)];
          const has = (s: MergeableSpec) =>
            ((at(s) ?? []) as unknown[]).some((v) => isDeepStrictEqual(v, value));
          assert.equal(origin, sources[specs.findIndex(has)], path);
        }
      }),
    );
  });
});
