import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCode, type SandboxTemplate } from '@paddock/core';
import type { ContractCase } from './store-contract.ts';
import {
  assertRejectsWith,
  clusterTemplate,
  EventReader,
  template,
  uniqueName,
} from './store-fixtures.ts';

const FINALIZER_A = 'paddock.dev/cleanup-a';
const FINALIZER_B = 'paddock.dev/cleanup-b';

/** Cases for delete and finalizers. */
export function deleteCases(test: ContractCase): void {
  describe('delete', () => {
    test('delete without finalizers removes the object and returns its last state', async ({
      store,
    }) => {
      const ns = uniqueName('ns');
      const created = await store.create(template(ns, 'd', { labels: { a: 'b' } }));
      const result = await store.delete('SandboxTemplate', { namespace: ns, name: 'd' });
      assert.equal(result.status, 'deleted');
      assert.equal(result.object.metadata.uid, created.metadata.uid);
      assert.deepEqual(result.object.metadata.labels, { a: 'b' });
      await assertRejectsWith(
        store.get('SandboxTemplate', { namespace: ns, name: 'd' }),
        ErrorCode.NotFound,
      );
      const cluster = await store.create(clusterTemplate(uniqueName('c')));
      const name = cluster.metadata.name ?? '';
      assert.equal((await store.delete('ClusterSandboxTemplate', { name })).status, 'deleted');
      await assertRejectsWith(store.get('ClusterSandboxTemplate', { name }), ErrorCode.NotFound);
    });

    test('delete with finalizers marks the object terminating, once', async ({ store }) => {
      const ns = uniqueName('ns');
      const key = { namespace: ns, name: 'f' };
      await store.create(template(ns, 'f', { finalizers: [FINALIZER_A] }));
      const first = await store.delete('SandboxTemplate', key);
      assert.equal(first.status, 'terminating');
      const stamp = first.object.metadata.deletionTimestamp;
      assert.ok(stamp && !Number.isNaN(Date.parse(stamp)), `deletionTimestamp ${stamp}`);
      assert.deepEqual(first.object.metadata.finalizers, [FINALIZER_A]);
      const fetched = await store.get('SandboxTemplate', key);
      assert.equal(fetched.metadata.deletionTimestamp, stamp);
      const again = await store.delete('SandboxTemplate', key);
      assert.equal(again.status, 'terminating');
      assert.equal(again.object.metadata.deletionTimestamp, stamp);
      assert.equal((await store.get('SandboxTemplate', key)).metadata.deletionTimestamp, stamp);
    });

    test('removing the last finalizer of a terminating object deletes it', async ({ store }) => {
      const ns = uniqueName('ns');
      const key = { namespace: ns, name: 'f' };
      const created = await store.create(
        template(ns, 'f', { finalizers: [FINALIZER_A, FINALIZER_B] }),
      );
      const watch = new EventReader(
        store.watch('SandboxTemplate', {
          namespace: ns,
          resourceVersion: created.metadata.resourceVersion ?? '',
        }),
      );
      try {
        const { object: terminating } = await store.delete('SandboxTemplate', key);
        const one = await store.update({
          ...terminating,
          metadata: { ...terminating.metadata, finalizers: [FINALIZER_B] },
        });
        assert.ok(one.metadata.deletionTimestamp);
        assert.deepEqual((await store.get('SandboxTemplate', key)).metadata.finalizers, [
          FINALIZER_B,
        ]);
        await store.update({ ...one, metadata: { ...one.metadata, finalizers: [] } });
        await assertRejectsWith(store.get('SandboxTemplate', key), ErrorCode.NotFound);
        assert.deepEqual(await watch.take(3), [
          `MODIFIED ${ns}/f`,
          `MODIFIED ${ns}/f`,
          `DELETED ${ns}/f`,
        ]);
      } finally {
        await watch.close();
      }
    });

    test('a terminating object accepts updates but no new finalizer', async ({ store }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 't', { finalizers: [FINALIZER_A] }));
      const { object } = await store.delete('SandboxTemplate', { namespace: ns, name: 't' });
      const { deletionTimestamp: _, ...withoutStamp } = object.metadata;
      const relabelled = await store.update<SandboxTemplate>({
        ...object,
        metadata: { ...withoutStamp, labels: { x: 'y' } },
      });
      assert.deepEqual(relabelled.metadata.labels, { x: 'y' });
      assert.equal(relabelled.metadata.deletionTimestamp, object.metadata.deletionTimestamp);
      assert.ok(relabelled.metadata.deletionTimestamp, 'still terminating');
      const added = {
        ...relabelled,
        metadata: { ...relabelled.metadata, finalizers: [FINALIZER_A, FINALIZER_B] },
      };
      await assertRejectsWith(store.update(added), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /finalizers/);
      });
    });

    test('delete honours a resourceVersion precondition', async ({ store }) => {
      const ns = uniqueName('ns');
      const key = { namespace: ns, name: 'p' };
      const created = await store.create(template(ns, 'p'));
      const updated = await store.update({ ...created, spec: { description: 'newer' } });
      await assertRejectsWith(
        store.delete('SandboxTemplate', key, {
          resourceVersion: created.metadata.resourceVersion ?? '',
        }),
        ErrorCode.Conflict,
        (error) =>
          assert.equal(error.details.currentResourceVersion, updated.metadata.resourceVersion),
      );
      assert.equal((await store.get('SandboxTemplate', key)).spec.description, 'newer');
      const result = await store.delete('SandboxTemplate', key, {
        resourceVersion: updated.metadata.resourceVersion ?? '',
      });
      assert.equal(result.status, 'deleted');
    });

    test('delete of a missing object is not_found', async ({ store }) => {
      const key = { namespace: uniqueName('ns'), name: 'ghost' };
      await assertRejectsWith(store.delete('SandboxTemplate', key), ErrorCode.NotFound);
      await assertRejectsWith(
        store.delete('ClusterSandboxTemplate', { name: uniqueName('c') }),
        ErrorCode.NotFound,
      );
    });
  });
}
