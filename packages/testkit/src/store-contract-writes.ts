import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCode, type SandboxTemplate } from '@paddock/core';
import type { ContractCase } from './store-contract.ts';
import { assertRejectsWith, clusterTemplate, template, uniqueName } from './store-fixtures.ts';

const LONG_AGO = '2000-01-01T00:00:00Z';

/** Passes deliberately invalid input through the typed API. */
function unchecked(value: unknown): SandboxTemplate {
  return value as SandboxTemplate;
}

/** Cases for create, get, update and updateStatus. */
export function writeCases(test: ContractCase): void {
  describe('create and get', () => {
    test('create fills the system fields, overwriting what the client sent', async ({ store }) => {
      const ns = uniqueName('ns');
      const input = template(ns, 'base', { labels: { app: 'web' } });
      input.metadata = {
        ...input.metadata,
        uid: 'client-uid',
        resourceVersion: '123456789',
        generation: 7,
        creationTimestamp: LONG_AGO,
        deletionTimestamp: LONG_AGO,
      };
      const created = await store.create(input);
      const meta = created.metadata;
      assert.equal(meta.name, 'base');
      assert.equal(meta.namespace, ns);
      assert.deepEqual(meta.labels, { app: 'web' });
      assert.ok(meta.uid && meta.uid !== 'client-uid', `uid ${meta.uid}`);
      assert.ok(meta.resourceVersion && meta.resourceVersion !== '123456789');
      assert.equal(meta.generation, 1);
      assert.ok(meta.creationTimestamp && meta.creationTimestamp !== LONG_AGO);
      assert.ok(!Number.isNaN(Date.parse(meta.creationTimestamp)));
      assert.equal(meta.deletionTimestamp, undefined);
      assert.deepEqual(
        await store.get('SandboxTemplate', { namespace: ns, name: 'base' }),
        created,
      );
    });

    test('create derives the name from generateName with a random suffix', async ({
      store,
      sandbox,
    }) => {
      const ns = uniqueName('ns');
      const input = sandbox(ns, 'unused');
      input.metadata = { namespace: ns, generateName: 'job-' };
      const first = await store.create(input);
      const second = await store.create(input);
      assert.match(first.metadata.name ?? '', /^job-[a-z0-9]{5}$/);
      assert.match(second.metadata.name ?? '', /^job-[a-z0-9]{5}$/);
      assert.notEqual(first.metadata.name, second.metadata.name);
      const fetched = await store.get('Sandbox', {
        namespace: ns,
        name: first.metadata.name ?? '',
      });
      assert.equal(fetched.metadata.uid, first.metadata.uid);
    });

    test('create requires a name or generateName', async ({ store }) => {
      const input = template(uniqueName('ns'), 'x');
      input.metadata = { namespace: input.metadata.namespace ?? '' };
      await assertRejectsWith(store.create(input), ErrorCode.ValidationFailed);
    });

    test('create rejects a duplicate name with already_exists', async ({ store }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 'dup'));
      await assertRejectsWith(
        store.create(template(ns, 'dup', { labels: { b: 'c' } })),
        ErrorCode.AlreadyExists,
      );
      const name = uniqueName('cluster');
      await store.create(clusterTemplate(name));
      await assertRejectsWith(store.create(clusterTemplate(name)), ErrorCode.AlreadyExists);
    });

    test('create allows one name in other namespaces and other kinds', async ({
      store,
      sandbox,
    }) => {
      const [a, b] = [uniqueName('ns'), uniqueName('ns')];
      await store.create(template(a, 'same'));
      await store.create(template(b, 'same'));
      await store.create(sandbox(a, 'same'));
      assert.equal(
        (await store.get('SandboxTemplate', { namespace: b, name: 'same' })).metadata.namespace,
        b,
      );
      assert.equal((await store.get('Sandbox', { namespace: a, name: 'same' })).kind, 'Sandbox');
    });

    test('create rejects an invalid resource with validation_failed naming the field', async ({
      store,
      sandbox,
    }) => {
      const ns = uniqueName('ns');
      const bad = unchecked({ ...template(ns, 'bad'), spec: { isolation: 'vm' } });
      await assertRejectsWith(store.create(bad), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /spec\.isolation/);
      });
      const noRef = unchecked({ ...sandbox(ns, 'bad'), spec: {} });
      await assertRejectsWith(store.create(noRef), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /spec\.templateRef/);
      });
      const badName = template(ns, 'Not_A_Name');
      await assertRejectsWith(store.create(badName), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /metadata\.name/);
      });
      await assertRejectsWith(
        store.get('SandboxTemplate', { namespace: ns, name: 'bad' }),
        ErrorCode.NotFound,
      );
    });

    test('create checks the namespace against the kind scope', async ({ store }) => {
      const namespaced = template('x', uniqueName('t'));
      namespaced.metadata = { name: namespaced.metadata.name ?? '' };
      await assertRejectsWith(store.create(namespaced), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /namespace/);
      });
      const cluster = clusterTemplate(uniqueName('c'));
      cluster.metadata = { ...cluster.metadata, namespace: uniqueName('ns') };
      await assertRejectsWith(store.create(cluster), ErrorCode.ValidationFailed, (error) => {
        assert.match(error.message, /namespace/);
      });
    });

    test('create ignores status: it starts empty', async ({ store }) => {
      const ns = uniqueName('ns');
      const created = await store.create({ ...template(ns, 's'), status: { chain: ['parent'] } });
      assert.equal(created.status, undefined);
      assert.equal(
        (await store.get('SandboxTemplate', { namespace: ns, name: 's' })).status,
        undefined,
      );
    });

    test('get is not_found for a missing object, another namespace or another kind', async ({
      store,
    }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 'here'));
      await assertRejectsWith(
        store.get('SandboxTemplate', { namespace: ns, name: 'absent' }),
        ErrorCode.NotFound,
      );
      await assertRejectsWith(
        store.get('SandboxTemplate', { namespace: uniqueName('ns'), name: 'here' }),
        ErrorCode.NotFound,
      );
      await assertRejectsWith(
        store.get('Sandbox', { namespace: ns, name: 'here' }),
        ErrorCode.NotFound,
      );
      await assertRejectsWith(
        store.get('ClusterSandboxTemplate', { name: uniqueName('c') }),
        ErrorCode.NotFound,
      );
    });
  });

  describe('update', () => {
    test('update with a stale resourceVersion is a conflict carrying the current one', async ({
      store,
    }) => {
      const created = await store.create(template(uniqueName('ns'), 'c'));
      const first = await store.update({ ...created, spec: { description: 'one' } });
      assert.notEqual(first.metadata.resourceVersion, created.metadata.resourceVersion);
      await assertRejectsWith(
        store.update({ ...created, spec: { description: 'two' } }),
        ErrorCode.Conflict,
        (error) => {
          assert.equal(error.details.currentResourceVersion, first.metadata.resourceVersion);
        },
      );
      const key = { namespace: created.metadata.namespace ?? '', name: 'c' };
      assert.deepEqual(await store.get('SandboxTemplate', key), first);
    });

    test('update bumps generation only when spec changes', async ({ store }) => {
      const spec = { description: 'a', isolation: 'process' } as const;
      const created = await store.create(template(uniqueName('ns'), 'g', { spec }));
      const relabelled = await store.update({
        ...created,
        metadata: { ...created.metadata, labels: { x: 'y' } },
      });
      assert.equal(relabelled.metadata.generation, 1);
      assert.notEqual(relabelled.metadata.resourceVersion, created.metadata.resourceVersion);
      const changed = await store.update({ ...relabelled, spec: { ...spec, description: 'b' } });
      assert.equal(changed.metadata.generation, 2);
      const reordered = await store.update({
        ...changed,
        metadata: { ...changed.metadata, labels: { x: 'z' } },
        spec: { isolation: 'process', description: 'b' },
      });
      assert.equal(reordered.metadata.generation, 2);
      assert.deepEqual(reordered.metadata.labels, { x: 'z' });
    });

    test('update without resourceVersion is unconditional', async ({ store }) => {
      const created = await store.create(template(uniqueName('ns'), 'u'));
      await store.update({ ...created, spec: { description: 'moved on' } });
      const { resourceVersion: _stale, ...metadata } = created.metadata;
      const forced = await store.update({ ...created, metadata, spec: { description: 'forced' } });
      assert.equal(forced.spec.description, 'forced');
      assert.equal(forced.metadata.generation, 3);
    });

    test('update ignores status in the body', async ({ store }) => {
      const created = await store.create(template(uniqueName('ns'), 's'));
      const bare = await store.update({
        ...created,
        spec: { description: 'x' },
        status: { chain: ['no'] },
      });
      assert.equal(bare.status, undefined);
      const withStatus = await store.updateStatus({ ...bare, status: { chain: ['kept'] } });
      const updated = await store.update({
        ...withStatus,
        spec: { description: 'y' },
        status: { chain: ['lost'] },
      });
      assert.deepEqual(updated.status, { chain: ['kept'] });
      assert.equal(updated.spec.description, 'y');
    });

    test('update keeps uid, creationTimestamp and generation, and refuses another uid', async ({
      store,
    }) => {
      const created = await store.create(template(uniqueName('ns'), 'i'));
      const updated = await store.update({
        ...created,
        metadata: {
          ...created.metadata,
          creationTimestamp: LONG_AGO,
          generation: 42,
          labels: { a: 'b' },
        },
      });
      assert.equal(updated.metadata.uid, created.metadata.uid);
      assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.equal(updated.metadata.generation, 1);
      assert.equal(updated.metadata.deletionTimestamp, undefined);
      const otherUid = { ...updated, metadata: { ...updated.metadata, uid: 'another-object' } };
      await assertRejectsWith(store.update(otherUid), ErrorCode.Conflict);
    });

    test('update with no change keeps the resourceVersion', async ({ store }) => {
      const created = await store.create(template(uniqueName('ns'), 'n', { labels: { a: 'b' } }));
      const same = await store.update(created);
      assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.deepEqual(same, created);
    });

    test('update of a missing object is not_found', async ({ store }) => {
      await assertRejectsWith(
        store.update(template(uniqueName('ns'), 'ghost')),
        ErrorCode.NotFound,
      );
    });

    test('updateStatus writes status only and keeps generation', async ({ store, sandbox }) => {
      const created = await store.create(sandbox(uniqueName('ns'), 'sb', { labels: { a: 'b' } }));
      const updated = await store.updateStatus({
        ...created,
        metadata: { ...created.metadata, labels: { a: 'changed' } },
        spec: { ...created.spec, desiredState: 'Stopped' },
        status: { phase: 'Running', observedGeneration: 1, conditions: [] },
      });
      assert.equal(updated.status?.phase, 'Running');
      assert.equal(updated.spec.desiredState, 'Running');
      assert.deepEqual(updated.metadata.labels, { a: 'b' });
      assert.equal(updated.metadata.generation, 1);
      assert.notEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion);
      const key = { namespace: created.metadata.namespace ?? '', name: 'sb' };
      assert.deepEqual(await store.get('Sandbox', key), updated);
    });

    test('updateStatus with a stale resourceVersion is a conflict', async ({ store }) => {
      const created = await store.create(template(uniqueName('ns'), 'st'));
      const current = await store.updateStatus({ ...created, status: { chain: ['a'] } });
      await assertRejectsWith(
        store.updateStatus({ ...created, status: { chain: ['b'] } }),
        ErrorCode.Conflict,
        (error) => {
          assert.equal(error.details.currentResourceVersion, current.metadata.resourceVersion);
        },
      );
      await assertRejectsWith(
        store.updateStatus(template(uniqueName('ns'), 'none')),
        ErrorCode.NotFound,
      );
    });
  });
}
