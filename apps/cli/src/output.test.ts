import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { parse } from 'yaml';
import { DEFAULT_SERVER, parseInvocation, resolveSettings } from './cli-options.ts';
import { parseManifests } from './commands/apply.ts';
import { kindFromWord } from './commands/get.ts';
import { formatAge, formatList, formatResources, formatTable } from './output.ts';

type Row = { kind: string; metadata: { name: string }; phase: string };
const rows: Row[] = [
  { kind: 'Sandbox', metadata: { name: 'a' }, phase: 'Running' },
  { kind: 'Sandbox', metadata: { name: 'longer-name' }, phase: 'Pending' },
];
const columns = [
  { header: 'NAME', value: (r: Row) => r.metadata.name },
  { header: 'PHASE', value: (r: Row) => r.phase },
];

describe('output', () => {
  it('aligns table columns without trailing spaces', () => {
    assert.equal(
      formatTable(columns, rows),
      'NAME         PHASE\na            Running\nlonger-name  Pending\n',
    );
  });

  it('prints json, yaml and name forms for scripts', () => {
    const json = JSON.parse(formatResources(rows, { format: 'json', columns, isList: true }));
    assert.equal(json.kind, 'List');
    assert.deepEqual(json.items, rows);
    const one = parse(
      formatResources([rows[0] as Row], { format: 'yaml', columns, isList: false }),
    );
    assert.deepEqual(one, rows[0]);
    assert.equal(
      formatResources(rows, { format: 'name', columns, isList: true }),
      'sandbox/a\nsandbox/longer-name\n',
    );
    assert.equal(
      formatResources([], { format: 'table', columns, isList: true }),
      'No resources found.\n',
    );
  });

  it('prints lists that are not resources: the answer itself for scripts', () => {
    const list = { kind: 'ApiKeyList', items: [{ id: 'k1', name: 'ci' }] };
    const options = {
      columns: [{ header: 'ID', value: (k: { id: string }) => k.id }],
      nameOf: (k: { id: string }) => `apikey/${k.id}`,
      empty: 'No API keys found.\n',
    };
    assert.equal(formatList(list, { ...options, format: 'table' }), 'ID\nk1\n');
    assert.deepEqual(JSON.parse(formatList(list, { ...options, format: 'json' })), list);
    assert.deepEqual(parse(formatList(list, { ...options, format: 'yaml' })), list);
    assert.equal(formatList(list, { ...options, format: 'name' }), 'apikey/k1\n');
    assert.equal(formatList({ items: [] }, { ...options, format: 'table' }), options.empty);
  });

  it('prints ages like kubectl', () => {
    const now = new Date('2026-01-10T12:00:00Z');
    assert.equal(formatAge('2026-01-10T11:59:15Z', now), '45s');
    assert.equal(formatAge('2026-01-10T11:48:00Z', now), '12m');
    assert.equal(formatAge('2026-01-10T09:00:00Z', now), '3h');
    assert.equal(formatAge('2026-01-05T12:00:00Z', now), '5d');
    assert.equal(formatAge(undefined, now), '<unknown>');
  });
});

describe('flags and settings', () => {
  it('resolves flag > environment > default', () => {
    const none = parseInvocation(['sandbox', 'list']);
    assert.deepEqual(resolveSettings(none.flags, {}), {
      server: DEFAULT_SERVER,
      namespace: 'default',
      output: 'table',
    });
    const env = { PADDOCK_URL: 'http://env:1', PADDOCK_TOKEN: 'tok' };
    assert.equal(resolveSettings(none.flags, env).server, 'http://env:1');
    assert.equal(resolveSettings(none.flags, env).token, 'tok');
    const flagged = parseInvocation([
      '--server',
      'http://flag:2',
      'sandbox',
      'list',
      '-n',
      'team',
      '-o',
      'json',
    ]);
    assert.deepEqual(resolveSettings(flagged.flags, env), {
      server: 'http://flag:2',
      token: 'tok',
      namespace: 'team',
      output: 'json',
    });
  });

  it('names every problem at once', () => {
    const invocation = parseInvocation([
      'sandbox',
      'list',
      '--bogus',
      '-o',
      'xml',
      '--server',
      'ftp://x',
    ]);
    assert.throws(
      () => resolveSettings(invocation.flags, {}, invocation.issues),
      (e) => {
        assert.ok(isPaddockError(e, 'validation_failed'));
        const paths = (e.details.issues as Array<{ path: string }>).map((i) => i.path).sort();
        assert.deepEqual(paths, ['--bogus', '--output', '--server']);
        return true;
      },
    );
  });

  it('keeps the words after -- for exec', () => {
    const invocation = parseInvocation(['sandbox', 'exec', 'x', '--', 'sh', '-c', 'exit 3']);
    assert.deepEqual(invocation.positionals, ['sandbox', 'exec', 'x']);
    assert.deepEqual(invocation.rest, ['sh', '-c', 'exit 3']);
  });

  it('knows kinds by name or plural in any case', () => {
    assert.equal(kindFromWord('sandbox'), 'Sandbox');
    assert.equal(kindFromWord('SANDBOXES'), 'Sandbox');
    assert.equal(kindFromWord('clusterPolicies'), 'ClusterPolicy');
    assert.throws(
      () => kindFromWord('widgets'),
      (e) => isPaddockError(e, 'validation_failed'),
    );
  });

  it('reads multi-document YAML and JSON manifests, naming the bad document', () => {
    const yaml = `apiVersion: paddock.dev/v1alpha1
kind: Sandbox
metadata: {name: a}
spec: {templateRef: {name: t}}
---
---
{"apiVersion": "paddock.dev/v1alpha1", "kind": "Sandbox", "metadata": {"name": "b"}, "spec": {"templateRef": {"name": "t"}}}
`;
    assert.deepEqual(
      parseManifests(yaml, 'x.yaml').map((r) => r.metadata.name),
      ['a', 'b'],
    );
    assert.throws(
      () => parseManifests('apiVersion: paddock.dev/v1alpha1\nkind: Widget\n', 'bad.yaml'),
      (e) => isPaddockError(e, 'validation_failed') && /bad\.yaml document 1/.test(e.message),
    );
  });
});
