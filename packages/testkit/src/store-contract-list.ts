import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  type AnyResource,
  ErrorCode,
  type Kind,
  type ListOptions,
  type ResourceStore,
} from '@paddock/core';
import type { ContractCase } from './store-contract.ts';
import { assertRejectsWith, clusterTemplate, template, uniqueName } from './store-fixtures.ts';

function keys(items: readonly AnyResource[]): string[] {
  return items.map(({ metadata }) =>
    metadata.namespace ? `${metadata.namespace}/${metadata.name}` : `${metadata.name}`,
  );
}

/** Every page of a list, following continue tokens. */
async function allPages(store: ResourceStore, kind: Kind, options: ListOptions) {
  const pages: { names: string[]; resourceVersion: string; hasContinue: boolean }[] = [];
  let token: string | undefined;
  do {
    const page = await store.list(
      kind,
      token === undefined ? options : { ...options, continue: token },
    );
    pages.push({
      names: keys(page.items),
      resourceVersion: page.resourceVersion,
      hasContinue: page.continue !== undefined,
    });
    token = page.continue;
    assert.ok(pages.length < 50, 'the pages never end');
  } while (token !== undefined);
  return pages;
}

/** Cases for list: namespaces, selectors, pagination. */
export function listCases(test: ContractCase): void {
  describe('list', () => {
    test('list filters by namespace and orders by namespace, then name', async ({
      store,
      sandbox,
    }) => {
      const run = uniqueName('run');
      const labels = { 'paddock.dev/contract': run };
      const [a, b] = [`${run}-a`, `${run}-b`];
      for (const [ns, name] of [
        [b, 'alpha'],
        [a, 'zulu'],
        [a, 'alpha'],
        [b, 'mike'],
      ] as const) {
        await store.create(template(ns, name, { labels }));
      }
      await store.create(sandbox(a, 'other-kind', { labels }));
      const inA = await store.list('SandboxTemplate', { namespace: a });
      assert.deepEqual(keys(inA.items), [`${a}/alpha`, `${a}/zulu`]);
      assert.equal(typeof inA.resourceVersion, 'string');
      assert.equal(inA.continue, undefined);
      const everywhere = await store.list('SandboxTemplate', {
        labelSelector: `paddock.dev/contract=${run}`,
      });
      assert.deepEqual(keys(everywhere.items), [
        `${a}/alpha`,
        `${a}/zulu`,
        `${b}/alpha`,
        `${b}/mike`,
      ]);
      assert.deepEqual(
        (await store.list('SandboxTemplate', { namespace: uniqueName('empty') })).items,
        [],
      );
    });

    test('list filters by label selector', async ({ store }) => {
      const ns = uniqueName('ns');
      await store.create(template(ns, 'web-prod', { labels: { app: 'web', env: 'prod' } }));
      await store.create(
        template(ns, 'web-dev', { labels: { app: 'web', env: 'dev', legacy: 'true' } }),
      );
      await store.create(template(ns, 'db-prod', { labels: { app: 'db', env: 'prod' } }));
      await store.create(template(ns, 'bare'));
      const names = async (labelSelector: string) =>
        keys((await store.list('SandboxTemplate', { namespace: ns, labelSelector })).items).map(
          (k) => k.slice(ns.length + 1),
        );
      assert.deepEqual(await names('app=web'), ['web-dev', 'web-prod']);
      assert.deepEqual(await names('app==web,env!=dev'), ['web-prod']);
      assert.deepEqual(await names('app!=web'), ['bare', 'db-prod']);
      assert.deepEqual(await names('env in (prod,staging)'), ['db-prod', 'web-prod']);
      assert.deepEqual(await names('env notin (prod)'), ['bare', 'web-dev']);
      assert.deepEqual(await names('legacy'), ['web-dev']);
      assert.deepEqual(await names('app,!legacy'), ['db-prod', 'web-prod']);
      assert.deepEqual(await names(''), ['bare', 'db-prod', 'web-dev', 'web-prod']);
    });

    test('list rejects an invalid selector, limit or continue token with validation_failed', async ({
      store,
    }) => {
      await assertRejectsWith(
        store.list('SandboxTemplate', { labelSelector: 'app in (' }),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        store.list('SandboxTemplate', { limit: -1 }),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        store.list('SandboxTemplate', { continue: 'not-a-token' }),
        ErrorCode.ValidationFailed,
      );
    });

    test('list pages with limit and continue: each item once, in order, one resourceVersion', async ({
      store,
    }) => {
      const ns = uniqueName('ns');
      for (const name of ['e', 'c', 'a', 'd', 'b']) await store.create(template(ns, name));
      const pages = await allPages(store, 'SandboxTemplate', { namespace: ns, limit: 2 });
      assert.deepEqual(
        pages.map((p) => p.names.map((k) => k.slice(ns.length + 1))),
        [['a', 'b'], ['c', 'd'], ['e']],
      );
      assert.deepEqual(
        pages.map((p) => p.hasContinue),
        [true, true, false],
      );
      assert.equal(new Set(pages.map((p) => p.resourceVersion)).size, 1);
      const exact = await allPages(store, 'SandboxTemplate', { namespace: ns, limit: 5 });
      assert.deepEqual(
        exact.map((p) => p.names.length),
        [5],
      );
    });

    test('list pages through a label selector', async ({ store }) => {
      const ns = uniqueName('ns');
      for (const [name, tier] of [
        ['a', 'x'],
        ['b', 'y'],
        ['c', 'x'],
        ['d', 'y'],
        ['e', 'x'],
        ['f', 'y'],
      ]) {
        await store.create(template(ns, name ?? '', { labels: { tier: tier ?? '' } }));
      }
      const pages = await allPages(store, 'SandboxTemplate', {
        namespace: ns,
        labelSelector: 'tier=x',
        limit: 2,
      });
      assert.deepEqual(
        pages.flatMap((p) => p.names),
        [`${ns}/a`, `${ns}/c`, `${ns}/e`],
      );
      assert.ok(pages.length >= 2 && (pages[0]?.names.length ?? 0) === 2);
    });

    test('list serves cluster-scoped kinds', async ({ store }) => {
      const run = uniqueName('run');
      const labels = { 'paddock.dev/contract': run };
      await store.create(clusterTemplate(`${run}-b`, { labels }));
      await store.create(clusterTemplate(`${run}-a`, { labels }));
      const list = await store.list('ClusterSandboxTemplate', {
        labelSelector: `paddock.dev/contract=${run}`,
      });
      assert.deepEqual(keys(list.items), [`${run}-a`, `${run}-b`]);
      await assertRejectsWith(
        store.list('ClusterSandboxTemplate', { namespace: uniqueName('ns') }),
        ErrorCode.ValidationFailed,
      );
    });
  });
}
