// Taking a user off a sandbox's sharedWith ends what that user opened into it, also when the
// change is made while the server's watch of Sandboxes is lost.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Informer, OWNER_ANNOTATION, type Principal, PrincipalVia } from '@paddock/control';
import { Role } from '@paddock/core';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { sandbox } from '@paddock/testkit';
import { storeWithLostWatch } from './lost-watch-store.ts';
import { SandboxConnections } from './sandbox-connections.ts';

const user = (id: string): Principal => ({
  id,
  roles: [Role.User],
  via: PrincipalVia.ApiKey,
  keyId: `key-${id}`,
});
const box = { namespace: 'default', name: 'shared' };

describe('unsharing ends what the user opened into the sandbox, also while the watch is lost', {
  timeout: 10_000,
}, () => {
  let store: SqliteStore;
  let sandboxes: Informer<'Sandbox'> | undefined;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ':memory:' });
    const shared = sandbox(box.namespace, box.name);
    shared.metadata.annotations = { [OWNER_ANNOTATION]: 'alice' };
    shared.spec.sharedWith = ['bob', 'carol'];
    await store.create(shared);
  });
  afterEach(async () => {
    await sandboxes?.stop();
    await store.close();
  });

  /** Alice's, Bob's and Carol's connections into the sandbox, Bob then unshared by `whileLost`. */
  async function unshareBobWhileLost(afterUnshare: () => Promise<void>) {
    const connections = new SandboxConnections();
    const sockets = { alice: new PassThrough(), bob: new PassThrough(), carol: new PassThrough() };
    for (const [id, socket] of Object.entries(sockets)) connections.bind(user(id), box, socket);
    const lossy = storeWithLostWatch(store, 'Sandbox', async () => {
      const shared = await store.get('Sandbox', box);
      await store.update({ ...shared, spec: { ...shared.spec, sharedWith: ['carol'] } });
      await afterUnshare();
    });
    sandboxes = new Informer(lossy, 'Sandbox', { retryMs: 10, log: () => {} });
    connections.follow(sandboxes);
    await sandboxes.start();
    await once(sockets.bob, 'close');
    assert.equal(sockets.alice.destroyed, false, 'the owner keeps hers');
    assert.equal(sockets.carol.destroyed, false, 'a user still shared with keeps hers');
    sockets.alice.destroy();
    sockets.carol.destroy();
  }

  it('caught up when the watch resumes', async () => {
    await unshareBobWhileLost(async () => {});
  });

  it('caught up by the relist when the change was compacted away', async () => {
    await unshareBobWhileLost(() => store.compact());
  });
});
