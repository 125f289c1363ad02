import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnyResource, isPaddockError } from '@paddock/core';
import {
  fieldsOf,
  fromFieldsV1,
  recordUpdate,
  toFieldsV1,
  withManagedFields,
} from './managed-fields.ts';
import { applyManifest } from './server-side-apply.ts';

const API = 'paddock.dev/v1alpha1';
const NOW = Date.parse('2026-01-02T03:04:05.678Z');
const options = (manager: string, isForced = false) => ({
  manager,
  isForced,
  apiVersion: API,
  nowMs: NOW,
});

const manifest = (spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: API,
  kind: 'SandboxTemplate',
  metadata: { name: 't', ...(labels === undefined ? {} : { labels }) },
  spec,
});

/** The stored object an apply makes, as the store would keep it. */
function stored(result: ReturnType<typeof applyManifest>): AnyResource {
  return withManagedFields(result.object as AnyResource, result.entries);
}

describe('server-side apply', () => {
  it('owns the leaves a manifest sets, lists whole, and round-trips FieldsV1', () => {
    const fields = fieldsOf(
      manifest({ env: [{ name: 'A' }], network: { egress: 'none' } }, { a: 'b' }),
    );
    assert.deepEqual([...fields].sort(), [
      '["metadata","labels","a"]',
      '["spec","env"]',
      '["spec","network","egress"]',
    ]);
    const v1 = toFieldsV1(fields);
    assert.deepEqual(v1, {
      'f:metadata': { 'f:labels': { 'f:a': {} } },
      'f:spec': { 'f:env': {}, 'f:network': { 'f:egress': {} } },
    });
    assert.deepEqual(fromFieldsV1(v1), fields);
  });

  it('conflicts on a field another manager owns with another value, shares an equal one, forces', () => {
    const first = stored(
      applyManifest(undefined, manifest({ description: 'a', timeout: '1h' }), options('alpha')),
    );
    assert.throws(
      () => applyManifest(first, manifest({ description: 'b', timeout: '1h' }), options('beta')),
      (error) =>
        isPaddockError(error, 'conflict') &&
        /conflict with "alpha": \.spec\.description/.test(error.message) &&
        JSON.stringify(error.details.conflicts).includes('"field":".spec.description"'),
    );
    const shared = applyManifest(first, manifest({ timeout: '1h' }), options('beta'));
    assert.deepEqual(
      shared.entries.map((e) => e.manager),
      ['alpha', 'beta'],
    );
    const forced = applyManifest(first, manifest({ description: 'b' }), options('beta', true));
    assert.equal((forced.object.spec as { description: string }).description, 'b');
    const alpha = forced.entries.find((e) => e.manager === 'alpha');
    assert.deepEqual(
      alpha?.fieldsV1,
      { 'f:spec': { 'f:timeout': {} } },
      'alpha lost only the forced field',
    );
    assert.equal(forced.entries.find((e) => e.manager === 'beta')?.time, '2026-01-02T03:04:05Z');
  });

  it('removes a field its manager stops setting, unless another manager owns it', () => {
    const first = stored(
      applyManifest(undefined, manifest({ description: 'a', timeout: '1h' }), options('alpha')),
    );
    const both = stored(applyManifest(first, manifest({ timeout: '1h' }), options('beta')));
    const dropped = applyManifest(both, manifest({}), options('alpha'));
    assert.deepEqual(
      dropped.object.spec,
      { timeout: '1h' },
      'description gone, timeout kept by beta',
    );
  });

  it('merges the finalizers (a set) and ownerReferences (by uid) a manifest lists', () => {
    const owner = (uid: string, name: string) => ({ apiVersion: API, kind: 'Run', name, uid });
    const listing = (finalizers: string[], ownerReferences: unknown[]) => ({
      ...manifest({ description: 'a' }),
      metadata: { name: 't', finalizers, ownerReferences },
    });
    const created = stored(
      applyManifest(undefined, listing(['x.dev/a'], [owner('1', 'one')]), options('m')),
    );
    assert.deepEqual(created.metadata.finalizers, ['x.dev/a']);
    assert.deepEqual(created.metadata.ownerReferences, [owner('1', 'one')]);
    const held = {
      ...created,
      metadata: { ...created.metadata, finalizers: ['x.dev/a', 'paddock.dev/sandbox'] },
    } as AnyResource;
    const again = stored(
      applyManifest(
        held,
        listing(['x.dev/b', 'x.dev/a'], [owner('2', 'two'), owner('1', 'renamed')]),
        options('m'),
      ),
    );
    assert.deepEqual(again.metadata.finalizers, ['x.dev/a', 'paddock.dev/sandbox', 'x.dev/b']);
    assert.deepEqual(again.metadata.ownerReferences, [owner('1', 'renamed'), owner('2', 'two')]);
  });

  it('owns finalizers and ownerReferences item by item: removes those the applier alone dropped', () => {
    const owner = (uid: string) => ({ apiVersion: API, kind: 'Run', name: `run-${uid}`, uid });
    const listing = (finalizers: string[], uids: string[]) => ({
      ...manifest({ description: 'a' }),
      metadata: { name: 't', finalizers, ownerReferences: uids.map(owner) },
    });
    const first = applyManifest(
      undefined,
      listing(['x.dev/a', 'x.dev/b', 'x.dev/c'], ['1', '2']),
      options('alpha'),
    );
    assert.deepEqual(first.entries[0]?.fieldsV1, {
      'f:metadata': {
        'f:finalizers': { '.': {}, 'v:"x.dev/a"': {}, 'v:"x.dev/b"': {}, 'v:"x.dev/c"': {} },
        'f:ownerReferences': { '.': {}, 'k:{"uid":"1"}': {}, 'k:{"uid":"2"}': {} },
      },
      'f:spec': { 'f:description': {} },
    });
    assert.deepEqual(
      fromFieldsV1(first.entries[0]?.fieldsV1),
      fieldsOf(listing(['x.dev/a', 'x.dev/b', 'x.dev/c'], ['1', '2'])),
    );
    // beta applies b too; an update (a controller through this API) adds d; the store's own
    // controller adds paddock.dev/sandbox, owned by no manager.
    const shared = stored(applyManifest(stored(first), listing(['x.dev/b'], []), options('beta')));
    const withUpdate = {
      ...shared,
      metadata: {
        ...shared.metadata,
        finalizers: [...(shared.metadata.finalizers ?? []), 'x.dev/d'],
      },
    } as AnyResource;
    const updated = withManagedFields(
      withUpdate,
      recordUpdate(shared, withUpdate, 'controller', API, NOW),
    );
    const held = {
      ...updated,
      metadata: {
        ...updated.metadata,
        finalizers: [...(updated.metadata.finalizers ?? []), 'paddock.dev/sandbox'],
      },
    } as AnyResource;
    const dropped = applyManifest(held, listing(['x.dev/a'], ['1']), options('alpha'));
    const metadata = dropped.object.metadata as AnyResource['metadata'];
    assert.deepEqual(
      metadata.finalizers,
      ['x.dev/a', 'x.dev/b', 'x.dev/d', 'paddock.dev/sandbox'],
      "c gone (alpha alone had it); b kept for beta, d for the update, the controller's own",
    );
    assert.deepEqual(metadata.ownerReferences, [owner('1')], 'owner 2 gone');
    assert.deepEqual(
      dropped.entries.map((e) => [e.manager, e.fieldsV1['f:metadata']]),
      [
        ['beta', { 'f:finalizers': { '.': {}, 'v:"x.dev/b"': {} } }],
        ['controller', { 'f:finalizers': { '.': {}, 'v:"x.dev/d"': {} } }],
        [
          'alpha',
          {
            'f:finalizers': { '.': {}, 'v:"x.dev/a"': {} },
            'f:ownerReferences': { '.': {}, 'k:{"uid":"1"}': {} },
          },
        ],
      ],
    );
    // The same ownerReference with its keys in another order is the same value: shared.
    const { uid, ...rest } = owner('1');
    const reordered = {
      ...listing(['x.dev/a'], []),
      metadata: { name: 't', ownerReferences: [{ uid, ...rest }] },
    };
    const sharing = applyManifest(stored(dropped), reordered, options('gamma'));
    assert.ok(sharing.entries.some((e) => e.manager === 'gamma'));
    const none = applyManifest(stored(dropped), manifest({ description: 'a' }), options('alpha'));
    assert.equal((none.object.metadata as AnyResource['metadata']).ownerReferences, undefined);
  });

  it('an update takes the fields it changes from other managers', () => {
    const first = stored(
      applyManifest(undefined, manifest({ description: 'a', timeout: '1h' }), options('alpha')),
    );
    const next = { ...first, spec: { description: 'edited', timeout: '1h' } } as AnyResource;
    const entries = recordUpdate(first, next, 'kubectl-edit', API, NOW);
    assert.deepEqual(
      entries.map((e) => [e.manager, e.operation, e.fieldsV1]),
      [
        ['alpha', 'Apply', { 'f:spec': { 'f:timeout': {} } }],
        ['kubectl-edit', 'Update', { 'f:spec': { 'f:description': {} } }],
      ],
    );
  });
});
