import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyResource } from '@paddock/core';
import { matchesFields, parseFieldSelector } from './field-selector.ts';
import { ageOf, IncludeObject, toTable, valueAt } from './kube-table.ts';

const sandbox = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'Sandbox',
  metadata: {
    name: 'web',
    namespace: 'team',
    creationTimestamp: new Date(Date.now() - 90_000).toISOString(),
  },
  spec: { templateRef: { name: 'python' }, desiredState: 'Running' },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'X', status: 'False' },
    ],
  },
} as unknown as AnyResource;

describe('tables and field selectors', () => {
  it('reads printer-column JSONPaths, filters included', () => {
    assert.equal(valueAt(sandbox, '.status.conditions[?(@.type=="Ready")].status'), 'True');
    assert.equal(valueAt(sandbox, '.status.conditions[1].type'), 'X');
    assert.equal(valueAt(sandbox, '.spec.missing.deeper'), undefined);
  });

  it('prints the Name column, then the kind’s columns, ages for dates', () => {
    const table = toTable('Sandbox', [sandbox], IncludeObject.Metadata);
    const names = table.columnDefinitions.map((c) => c.name);
    assert.deepEqual(names.slice(0, 4), ['Name', 'Phase', 'Ready', 'Template']);
    const cells = table.rows[0]?.cells ?? [];
    assert.deepEqual(cells.slice(0, 4), ['web', 'Running', 'True', 'python']);
    assert.equal(cells.at(-1), '90s');
    assert.equal(ageOf(new Date(Date.now() + 60_000).toISOString(), Date.now()), '<invalid>');
    assert.equal(ageOf('2026-01-01T00:00:00Z', Date.parse('2026-01-04T00:00:00Z')), '3d');
  });

  it('selects metadata.name and metadata.namespace, and names a field it does not serve', () => {
    assert.ok(
      matchesFields(sandbox, parseFieldSelector('metadata.name=web,metadata.namespace!=other')),
    );
    assert.ok(!matchesFields(sandbox, parseFieldSelector('metadata.name==db')));
    assert.throws(
      () => parseFieldSelector('spec.desiredState=Running'),
      /fieldSelector: "spec\.desiredState"/,
    );
  });
});
