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
import { storeWithLostWatch } from './lost-watch-test-support.ts';
import { SandboxConnections } from './sandbox-connections.ts';

const user = (id: string): Principal => ({
  id,
  roles: [Role.User],
  via: PrincipalVia.ApiKey,
  keyId: `key-${id}`,
});
const box = { namespace: 'default', name: 'shared' };

describe('SandboxConnections.revisit', () => {
  it('ends callers who could see the sandbox and may no longer, each socket until its last release', () => {
    const before = sandbox(box.namespace, box.name);
    before.metadata.annotations = { [OWNER_ANNOTATION]: 'alice' };
    before.spec.sharedWith = ['bob'];
    const after = { ...before, spec: { ...before.spec, sharedWith: [] } };
    const connections = new SandboxConnections();
    const [bob, twice, released, dave] = [0, 1, 2, 3].map(() => new PassThrough());
    assert.ok(bob && twice && released && dave);
    connections.bind(user('bob'), box, bob);
    connections.bind(user('bob'), box, twice)();
    connections.bind(user('bob'), box, twice);
    connections.bind(user('bob'), box, released)();
    connections.bind(user('dave'), box, dave);

    assert.equal(connections.revisit(before, after), 2);
    assert.equal(bob.destroyed, true);
    assert.equal(twice.destroyed, true, 'a socket bound twice stays tracked until both releases');
    assert.equal(released.destroyed, false, 'a released socket is not ended');
    assert.equal(dave.destroyed, false, 'a caller who never could see it keeps its connection');
    assert.equal(connections.revisit(before, before), 0, 'no change of sharing ends nothing');
    dave.destroy();
  });
});

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
