import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCode } from '@paddock/core';
import type { ContractCase } from './store-contract.ts';
import {
  assertRejectsWith,
  EventReader,
  pause,
  summarize,
  template,
  uniqueName,
  within,
} from './store-fixtures.ts';

/** Cases for watch: live delivery, filters, resume, ending, expiry. */
export function watchCases(test: ContractCase): void {
  describe('watch', () => {
    test('watch streams ADDED, MODIFIED and DELETED live, in order, for its kind only', async ({
      store,
      sandbox,
    }) => {
      const ns = uniqueName('ns');
      const watch = new EventReader(store.watch('SandboxTemplate', { namespace: ns }));
      try {
        const pending = watch.next();
        await pause(50); // the watch is waiting before the first write: delivery must be live
        const created = await store.create(template(ns, 'w'));
        const added = await pending;
        await store.create(sandbox(ns, 'not-a-template'));
        const updated = await store.update({ ...created, spec: { description: 'changed' } });
        await store.updateStatus({ ...updated, status: { chain: ['p'] } });
        await store.delete('SandboxTemplate', { namespace: ns, name: 'w' });
        const events = [added, await watch.next(), await watch.next(), await watch.next()];
        assert.deepEqual(events.map(summarize), [
          `ADDED ${ns}/w`,
          `MODIFIED ${ns}/w`,
          `MODIFIED ${ns}/w`,
          `DELETED ${ns}/w`,
        ]);
        assert.equal(events[0]?.object.metadata.resourceVersion, created.metadata.resourceVersion);
        assert.equal(events[1]?.object.spec.description, 'changed');
        assert.deepEqual(events[2]?.object.status, { chain: ['p'] });
      } finally {
        await watch.close();
      }
    });

    test('watch from now skips earlier changes', async ({ store }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 'before'));
      const watch = new EventReader(store.watch('SandboxTemplate', { namespace: ns }));
      try {
        await store.create(template(ns, 'after'));
        assert.deepEqual(await watch.take(1), [`ADDED ${ns}/after`]);
      } finally {
        await watch.close();
      }
    });

    test('watch from a resourceVersion replays exactly the later changes', async ({ store }) => {
      const ns = uniqueName('ns');
      const a = await store.create(template(ns, 'a'));
      await store.create(template(ns, 'b'));
      await store.update({ ...a, spec: { description: 'a2' } });
      const watch = new EventReader(
        store.watch('SandboxTemplate', {
          namespace: ns,
          resourceVersion: a.metadata.resourceVersion ?? '',
        }),
      );
      try {
        assert.deepEqual(await watch.take(2), [`ADDED ${ns}/b`, `MODIFIED ${ns}/a`]);
        await store.create(template(ns, 'c'));
        assert.deepEqual(await watch.take(1), [`ADDED ${ns}/c`]);
      } finally {
        await watch.close();
      }
    });

    test('watch from a list resourceVersion sees every later change', async ({ store }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 'listed'));
      const list = await store.list('SandboxTemplate', { namespace: ns });
      await store.create(template(ns, 'later'));
      const watch = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, resourceVersion: list.resourceVersion }),
      );
      try {
        assert.deepEqual(await watch.take(1), [`ADDED ${ns}/later`]);
      } finally {
        await watch.close();
      }
    });

    test('watch filters by namespace and label selector', async ({ store }) => {
      const [ns, other] = [uniqueName('ns'), uniqueName('ns')];
      const watch = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, labelSelector: 'app=web' }),
      );
      const everywhere = new EventReader(
        store.watch('SandboxTemplate', { labelSelector: 'app=web' }),
      );
      try {
        await store.create(template(other, 'elsewhere', { labels: { app: 'web' } }));
        await store.create(template(ns, 'db', { labels: { app: 'db' } }));
        await store.create(template(ns, 'web', { labels: { app: 'web' } }));
        assert.deepEqual(await watch.take(1), [`ADDED ${ns}/web`]);
        const seen = await everywhere.take(2);
        assert.deepEqual(seen, [`ADDED ${other}/elsewhere`, `ADDED ${ns}/web`]);
      } finally {
        await watch.close();
        await everywhere.close();
      }
    });

    test('watch by name sees only that object, from now or from a version', async ({ store }) => {
      const ns = uniqueName('ns');
      const first = await store.create(template(ns, 'other'));
      const watch = new EventReader(store.watch('SandboxTemplate', { namespace: ns, name: 'one' }));
      const replay = new EventReader(
        store.watch('SandboxTemplate', {
          namespace: ns,
          name: 'one',
          resourceVersion: first.metadata.resourceVersion ?? '',
        }),
      );
      try {
        await store.create(template(ns, 'other-2'));
        const one = await store.create(template(ns, 'one'));
        await store.update({ ...first, spec: { description: 'not this one' } });
        await store.update({ ...one, spec: { description: 'this one' } });
        await store.delete('SandboxTemplate', { namespace: ns, name: 'one' });
        const expected = [`ADDED ${ns}/one`, `MODIFIED ${ns}/one`, `DELETED ${ns}/one`];
        assert.deepEqual(await watch.take(3), expected);
        assert.deepEqual(await replay.take(3), expected);
      } finally {
        await watch.close();
        await replay.close();
      }
    });

    test('watch reports objects entering and leaving its selector as ADDED and DELETED', async ({
      store,
    }) => {
      const ns = uniqueName('ns');
      const watch = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, labelSelector: 'app=web' }),
      );
      try {
        const a = await store.create(template(ns, 'a', { labels: { app: 'web' } }));
        const left = await store.update({
          ...a,
          metadata: { ...a.metadata, labels: { app: 'db' } },
        });
        const outside = await store.update({ ...left, spec: { description: 'unseen' } });
        await store.update({
          ...outside,
          metadata: { ...outside.metadata, labels: { app: 'web' } },
        });
        await store.create(template(ns, 'sentinel', { labels: { app: 'web' } }));
        assert.deepEqual(await watch.take(4), [
          `ADDED ${ns}/a`,
          `DELETED ${ns}/a`,
          `ADDED ${ns}/a`,
          `ADDED ${ns}/sentinel`,
        ]);
      } finally {
        await watch.close();
      }
    });

    test('a DELETED event carries the last state of the object', async ({ store }) => {
      const ns = uniqueName('ns');
      const created = await store.create(template(ns, 'last', { labels: { stage: 'one' } }));
      const watch = new EventReader(
        store.watch('SandboxTemplate', {
          namespace: ns,
          resourceVersion: created.metadata.resourceVersion ?? '',
        }),
      );
      try {
        await store.update({
          ...created,
          metadata: { ...created.metadata, labels: { stage: 'final' } },
          spec: { description: 'end' },
        });
        const result = await store.delete('SandboxTemplate', { namespace: ns, name: 'last' });
        await watch.next();
        const deleted = await watch.next();
        assert.equal(deleted.type, 'DELETED');
        assert.deepEqual(deleted.object.metadata.labels, { stage: 'final' });
        assert.equal(deleted.object.spec.description, 'end');
        assert.equal(deleted.object.metadata.uid, created.metadata.uid);
        assert.equal(
          deleted.object.metadata.resourceVersion,
          result.object.metadata.resourceVersion,
        );
      } finally {
        await watch.close();
      }
    });

    test('watch resumed from the last seen version delivers exactly the missed events', async ({
      store,
    }) => {
      const ns = uniqueName('ns');
      const controller = new AbortController();
      const first = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, signal: controller.signal }),
      );
      const a = await store.create(template(ns, 'a'));
      await store.create(template(ns, 'b'));
      await first.next();
      const lastSeen = (await first.next()).object.metadata.resourceVersion ?? '';
      controller.abort();
      assert.equal((await within(first.iterator.next(), 5_000, 'the end of the watch')).done, true);
      await store.create(template(ns, 'c'));
      await store.update({ ...a, spec: { description: 'a2' } });
      await store.delete('SandboxTemplate', { namespace: ns, name: 'b' });
      const resumed = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, resourceVersion: lastSeen }),
      );
      try {
        assert.deepEqual(await resumed.take(3), [
          `ADDED ${ns}/c`,
          `MODIFIED ${ns}/a`,
          `DELETED ${ns}/b`,
        ]);
        await store.create(template(ns, 'd'));
        assert.deepEqual(await resumed.take(1), [`ADDED ${ns}/d`]);
      } finally {
        await resumed.close();
      }
    });

    test('watch ends when its signal aborts, also while waiting', async ({ store }) => {
      const ns = uniqueName('ns');
      const controller = new AbortController();
      const watch = store.watch('SandboxTemplate', { namespace: ns, signal: controller.signal });
      const iterator = watch[Symbol.asyncIterator]();
      const pending = iterator.next();
      await pause(50); // let next() reach its wait
      controller.abort();
      assert.equal((await within(pending, 5_000, 'the end of the watch')).done, true);
      await store.create(template(ns, 'after-abort'));
      assert.equal((await within(iterator.next(), 5_000, 'the end of the watch')).done, true);
      const aborted = store.watch('SandboxTemplate', {
        namespace: ns,
        signal: AbortSignal.abort(),
      });
      const next = aborted[Symbol.asyncIterator]().next();
      assert.equal((await within(next, 5_000, 'the end of the watch')).done, true);
    });

    test('watch ends when its iterator returns, also while waiting', async ({ store }) => {
      const ns = uniqueName('ns');
      const iterator = store.watch('SandboxTemplate', { namespace: ns })[Symbol.asyncIterator]();
      const pending = iterator.next();
      await pause(50); // let next() reach its wait
      await within(Promise.resolve(iterator.return?.()), 5_000, 'return()');
      assert.equal((await within(pending, 5_000, 'the end of the watch')).done, true);
      const created = await store.create(template(ns, 'after-return'));
      assert.equal((await within(iterator.next(), 5_000, 'the end of the watch')).done, true);
      await store.create(template(ns, 'later'));
      const since = { namespace: ns, resourceVersion: created.metadata.resourceVersion ?? '' };
      const seen: string[] = [];
      for await (const event of store.watch('SandboxTemplate', since)) {
        seen.push(summarize(event));
        break;
      }
      assert.deepEqual(seen, [`ADDED ${ns}/later`]);
    });

    test('watch from a compacted resourceVersion is expired', async ({ store, compact }, t) => {
      if (compact === undefined) {
        t.skip('the implementation offers no way to compact its history on demand');
        return;
      }
      const ns = uniqueName('ns');
      const created = await store.create(template(ns, 'old'));
      await store.update({ ...created, spec: { description: 'newer' } });
      await compact();
      const expired = store.watch('SandboxTemplate', {
        namespace: ns,
        resourceVersion: created.metadata.resourceVersion ?? '',
      });
      await assertRejectsWith(
        within(expired[Symbol.asyncIterator]().next(), 5_000, 'expired'),
        ErrorCode.Expired,
      );
      const list = await store.list('SandboxTemplate', { namespace: ns });
      const fresh = new EventReader(
        store.watch('SandboxTemplate', { namespace: ns, resourceVersion: list.resourceVersion }),
      );
      try {
        await store.create(template(ns, 'new'));
        assert.deepEqual(await fresh.take(1), [`ADDED ${ns}/new`]);
      } finally {
        await fresh.close();
      }
    });
  });
}
