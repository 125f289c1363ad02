// Revoking an API key, or its expiry, ends what it opened: event streams and terminals, at once;
// the same user's other key keeps its own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { TERMINAL_PROTOCOL } from '@paddock/api';
import { Informer, type Principal, PrincipalVia } from '@paddock/control';
import { API_VERSION, Role, type Run } from '@paddock/core';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { type AuthWorld, openSocket, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { KeyConnections } from './key-connections.ts';
import { storeWithLostWatch } from './lost-watch-test-support.ts';

const viaKey = (keyId: string): Principal => ({
  id: 'alice',
  roles: [Role.User],
  via: PrincipalVia.ApiKey,
  keyId,
});

const viaRunToken = (run: string, runUid?: string): Principal => ({
  id: 'alice',
  roles: [Role.User],
  via: PrincipalVia.RunToken,
  scope: {
    namespace: 'default',
    run: `default/${run}`,
    ...(runUid === undefined ? {} : { runUid }),
  },
});

const runManifest = (name: string): Run => ({
  apiVersion: API_VERSION,
  kind: 'Run',
  metadata: { name, namespace: 'default' },
  spec: { agentRef: { name: 'helper' }, prompt: 'hello', mode: 'task' },
});

describe('KeyConnections', { timeout: 10_000 }, () => {
  it('ends only the sockets still bound to the key, sparing the revoking one', async () => {
    const connections = new KeyConnections();
    const [done, closed, open, spare, other] = [0, 1, 2, 3, 4].map(() => new PassThrough());
    assert.ok(done && closed && open && spare && other);
    connections.bind(viaKey('k1'), done)();
    connections.bind(viaKey('k1'), closed);
    connections.bind(viaKey('k1'), open);
    connections.bind(viaKey('k1'), spare);
    connections.bind(viaKey('k2'), other);
    closed.destroy();
    await once(closed, 'close');

    assert.equal(connections.end('k1', spare), 1);
    assert.equal(open.destroyed, true);
    assert.equal(spare.destroyed, false);
    assert.equal(other.destroyed, false);
    assert.equal(done.destroyed, false, 'a released socket is not ended');
    assert.equal(done.listenerCount('close'), 0, 'release removes its close listener');
  });

  it('keeps a socket bound twice (pipelined requests) until both binds are released', () => {
    const connections = new KeyConnections();
    const released = new PassThrough();
    connections.bind(viaKey('k1'), released)();
    connections.bind(viaKey('k1'), released)();
    assert.equal(released.listenerCount('close'), 0);
    const socket = new PassThrough();
    const releaseFirst = connections.bind(viaKey('k1'), socket);
    connections.bind(viaKey('k1'), socket);
    releaseFirst();
    releaseFirst();
    assert.equal(connections.end('k1'), 1);
    assert.equal(socket.destroyed, true, 'the second bind still held it');
    assert.equal(released.destroyed, false);
  });

  it("ends a key's sockets when it expires, with no call; a key without expiry keeps its own", async () => {
    const connections = new KeyConnections();
    const [expiring, lasting] = [new PassThrough(), new PassThrough()];
    connections.bind({ ...viaKey('k1'), expiresAtMs: Date.now() + 50 }, expiring);
    connections.bind(viaKey('k2'), lasting);
    await once(expiring, 'close');
    assert.equal(expiring.destroyed, true);
    assert.equal(lasting.destroyed, false);
    lasting.destroy();
  });

  it('ends an OIDC token’s sockets at its expiry, tracked by subject and expiry', async () => {
    const connections = new KeyConnections();
    const sso = (expiresAtMs: number): Principal => ({
      id: 'carol',
      roles: [Role.User],
      via: PrincipalVia.Oidc,
      expiresAtMs,
    });
    const [soon, later] = [new PassThrough(), new PassThrough()];
    connections.bind(sso(Date.now() + 50), soon);
    connections.bind(sso(Date.now() + 3_600_000), later);
    await once(soon, 'close');
    assert.equal(later.destroyed, false, 'her later token keeps its socket');
    later.destroy();
    await once(later, 'close');
    assert.equal(later.listenerCount('close'), 0, 'released, its timer cleared');
  });

  it("ends a run token's sockets at its expiry, and every token's of the run when it ends", async () => {
    const connections = new KeyConnections();
    const expiring = (run: string, expiresAtMs: number) => ({ ...viaRunToken(run), expiresAtMs });
    const [soon, later, lasting, otherRun] = [0, 1, 2, 3].map(() => new PassThrough());
    assert.ok(soon && later && lasting && otherRun);
    connections.bind(expiring('fix', Date.now() + 50), soon);
    connections.bind(expiring('fix', Date.now() + 3_600_000), later);
    connections.bind(viaRunToken('fix'), lasting);
    connections.bind(expiring('fix-2', Date.now() + 3_600_000), otherRun);
    await once(soon, 'close');
    assert.equal(later.destroyed, false, 'a later token of the run keeps its socket');
    assert.equal(connections.endRun('default/fix'), 2);
    assert.equal(later.destroyed, true);
    assert.equal(lasting.destroyed, true);
    assert.equal(otherRun.destroyed, false, 'a run whose name it begins is another run');
    otherRun.destroy();
  });

  it('ends the tokens of one run by its uid: a new run of the same name keeps its own', async () => {
    const connections = new KeyConnections();
    const [old, renewed, expiring] = [0, 1, 2].map(() => new PassThrough());
    assert.ok(old && renewed && expiring);
    connections.bind(viaRunToken('fix', 'uid-old'), old);
    connections.bind(
      { ...viaRunToken('fix', 'uid-old'), expiresAtMs: Date.now() + 60_000 },
      expiring,
    );
    connections.bind(viaRunToken('fix', 'uid-new'), renewed);
    assert.equal(connections.endRun('default/fix', 'uid-old'), 2);
    assert.equal(old.destroyed && expiring.destroyed, true);
    assert.equal(renewed.destroyed, false, 'the new run of the name keeps its connection');
    await Promise.all([once(old, 'close'), once(expiring, 'close')]);
    assert.equal(connections.endRun('default/fix'), 1, 'without a uid: every run of the name');
    assert.equal(renewed.destroyed, true);
  });

  it('does not track principals without a key', () => {
    const connections = new KeyConnections();
    const socket = new PassThrough();
    connections.bind({ id: 'bob', roles: [Role.User], via: PrincipalVia.Oidc }, socket);
    assert.equal(socket.listenerCount('close'), 0);
    assert.equal(connections.end('k1'), 0);
  });
});

describe('the end of a run ends what its token opened, also while the watch of runs is lost', {
  timeout: 10_000,
}, () => {
  let store: SqliteStore;
  let runs: Informer<'Run'> | undefined;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await runs?.stop();
    await store.close();
  });

  /** Follows the store's runs through a first watch that is lost while `whileLost` runs. */
  async function followRuns(connections: KeyConnections, whileLost: () => Promise<void>) {
    const lossy = storeWithLostWatch(store, 'Run', whileLost);
    runs = new Informer(lossy, 'Run', { retryMs: 10, log: () => {} });
    connections.followRuns(runs);
    await runs.start();
  }

  it('a run that succeeds meanwhile: caught up when the watch resumes', async () => {
    await store.create(runManifest('ends'));
    await store.create(runManifest('goes-on'));
    const connections = new KeyConnections();
    const [ended, kept] = [new PassThrough(), new PassThrough()];
    connections.bind(viaRunToken('ends'), ended);
    connections.bind(viaRunToken('goes-on'), kept);
    await followRuns(connections, async () => {
      const run = await store.get('Run', { namespace: 'default', name: 'ends' });
      await store.updateStatus({ ...run, status: { phase: 'Succeeded', conditions: [] } });
    });
    await once(ended, 'close');
    assert.equal(kept.destroyed, false, 'a run still going keeps what its token opened');
    kept.destroy();
  });

  it('a run deleted and made again under its name meanwhile: the old run ends, the new goes on', async () => {
    const first = await store.create(runManifest('again'));
    const connections = new KeyConnections();
    const [ended, kept] = [new PassThrough(), new PassThrough()];
    connections.bind(viaRunToken('again', first.metadata.uid), ended);
    await followRuns(connections, async () => {
      await store.delete('Run', { namespace: 'default', name: 'again' });
      const second = await store.create(runManifest('again'));
      assert.notEqual(second.metadata.uid, first.metadata.uid);
      connections.bind(viaRunToken('again', second.metadata.uid), kept);
      await store.compact();
    });
    await once(ended, 'close');
    assert.equal(kept.destroyed, false, "the new run's token keeps what it opened");
    kept.destroy();
  });

  it('a run deleted meanwhile, its change compacted away: caught up by the relist', async () => {
    await store.create(runManifest('deleted'));
    await store.create(runManifest('goes-on'));
    const connections = new KeyConnections();
    const [ended, kept] = [new PassThrough(), new PassThrough()];
    connections.bind(viaRunToken('deleted'), ended);
    connections.bind(viaRunToken('goes-on'), kept);
    await followRuns(connections, async () => {
      await store.delete('Run', { namespace: 'default', name: 'deleted' });
      await store.compact();
    });
    await once(ended, 'close');
    assert.equal(kept.destroyed, false, 'a run still going keeps what its token opened');
    kept.destroy();
  });
});

/** An open event stream: everything it has sent so far, and whether it has ended. */
async function openStream(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const state = { text: '', ended: false };
  const reader = res.body?.getReader();
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) break;
        state.text += new TextDecoder().decode(chunk.value);
      }
    } catch {
      // A destroyed connection ends the stream with an error: ended all the same.
    }
    state.ended = true;
  })();
  await eventually(() => state.text.includes('stream open'), { what: 'the stream open' });
  return { state, cancel: () => reader?.cancel().catch(() => {}) };
}

describe('revoking an API key, or its expiry, ends its open connections', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const box = uniqueName('revoke');
  // The revocation test stops `box`: the expiry test opens its terminal here.
  const expiryBox = uniqueName('expire');

  before(async () => {
    w = await startAuthWorld();
    await w.createSandbox(box, w.alice, { kind: 'ClusterSandboxTemplate', name: 'shell' });
    await w.createSandbox(expiryBox, w.alice, { kind: 'ClusterSandboxTemplate', name: 'shell' });
  });
  after(async () => {
    await w.s.close();
  });

  it("ends the revoked key's event stream and terminal; the user's other key keeps its stream", async () => {
    const second = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ name: 'laptop' }),
    });
    assert.equal(second.status, 201);
    const { key, apiKey } = (await second.json()) as { key: string; apiKey: { id: string } };

    const watch = `${w.s.url}/api/v1/namespaces/default/sandboxes?watch=true`;
    const doomed = await openStream(watch, key);
    const kept = await openStream(watch, w.alice);
    const terminal = openSocket(
      `${w.s.url.replace('http://', 'ws://')}/ws/terminal/default/${box}`,
      { token: key, protocols: [TERMINAL_PROTOCOL] },
    );
    await terminal.opened;
    await terminal.socket.waitForMessage('session');

    const revoked = await w.s.call(`/api/v1/apikeys/${apiKey.id}`, {
      method: 'DELETE',
      token: w.alice,
    });
    assert.equal(revoked.status, 200, await revoked.clone().text());

    await eventually(() => doomed.state.ended, { timeoutMs: 5000, what: 'the stream to end' });
    await terminal.socket.closed;
    assert.equal(kept.state.ended, false, 'the other key keeps its stream');
    // The stream of the other key still delivers.
    await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}/stop`, {
      method: 'POST',
      token: w.alice,
    });
    await eventually(() => kept.state.text.includes('"Stopped"'), { what: 'the Stopped event' });
    const again = await fetch(watch, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(again.status, 401);
    await again.body?.cancel();
    kept.cancel();
  });

  it("ends an expiring key's event stream and terminal when it expires, with nothing revoked", async () => {
    const made = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ name: 'short-lived', expiresIn: '2s' }),
    });
    assert.equal(made.status, 201);
    const { key } = (await made.json()) as { key: string };

    const watch = `${w.s.url}/api/v1/namespaces/default/sandboxes?watch=true`;
    const expiring = await openStream(watch, key);
    const kept = await openStream(watch, w.alice);
    const terminal = openSocket(
      `${w.s.url.replace('http://', 'ws://')}/ws/terminal/default/${expiryBox}`,
      { token: key, protocols: [TERMINAL_PROTOCOL] },
    );
    await terminal.opened;
    await terminal.socket.waitForMessage('session');

    await eventually(() => expiring.state.ended, { timeoutMs: 10_000, what: 'the stream to end' });
    await terminal.socket.closed;
    assert.equal(kept.state.ended, false, 'the key without expiry keeps its stream');
    const again = await fetch(watch, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(again.status, 401);
    await again.body?.cancel();
    kept.cancel();
  });
});
