import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';

describe('the files API wakes a sandbox its idle timeout put to sleep, on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const path = (name: string, sub = '') => `/api/v1/namespaces/default/sandboxes/${name}${sub}`;
  const statusOf = async (name: string) => {
    const res = await w.s.call(path(name), { token: w.alice });
    return ((await res.json()) as { status?: { phase?: string; reason?: string } }).status ?? {};
  };
  const asleep = (name: string, reason: string) =>
    eventually(async () => ((await statusOf(name)).reason === reason ? true : undefined), {
      timeoutMs: 30_000,
      what: `sandbox ${name} ${reason}`,
    });
  const files = (name: string, sub: string, init: { method?: string; body?: string } = {}) =>
    w.s.call(path(name, `/files${sub}`), { token: w.alice, ...init });

  before(async () => {
    w = await startAuthWorld();
    for (const [name, idleAction] of [
      ['drowsy', 'Pause'],
      ['dozy', 'Stop'],
    ] as const) {
      const res = await w.s.call('/api/v1/namespaces/default/sandboxtemplates', {
        method: 'POST',
        token: w.admin,
        body: JSON.stringify({
          apiVersion: API,
          kind: 'SandboxTemplate',
          metadata: { name },
          spec: {
            inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
            idleTimeout: '2s',
            idleAction,
          },
        }),
      });
      assert.equal(res.status, 201, await res.text());
    }
  });
  after(async () => {
    await w.s.close();
  });

  it('holds reads, lists, stats, mkdirs, moves and archives of an idle-paused sandbox until it runs', async () => {
    const name = uniqueName('fz');
    await w.createSandbox(name, w.alice, { kind: 'SandboxTemplate', name: 'drowsy' });
    const put = await files(name, '?path=/workspace/a.txt', { method: 'PUT', body: 'kept\n' });
    assert.equal(put.status, 200, await put.clone().text());
    await asleep(name, 'IdlePaused');

    // All at once, each held by the same wake.
    const [read, list, stat, mkdir, archive] = await Promise.all([
      files(name, '?path=/workspace/a.txt'),
      files(name, '/list?path=/workspace'),
      files(name, '/stat?path=/workspace/a.txt'),
      files(name, '/mkdir', { method: 'POST', body: JSON.stringify({ path: '/workspace/d' }) }),
      files(name, '/archive?path=/workspace'),
    ]);
    assert.equal(read.status, 200, await read.clone().text());
    assert.equal(await read.text(), 'kept\n');
    assert.equal(list.status, 200, await list.clone().text());
    const names = ((await list.json()) as { items: Array<{ name: string }> }).items.map(
      (i) => i.name,
    );
    assert.ok(names.includes('a.txt'), JSON.stringify(names));
    assert.equal(stat.status, 200, await stat.text());
    assert.equal(mkdir.status, 201, await mkdir.text());
    assert.equal(archive.status, 200);
    assert.ok((await archive.arrayBuffer()).byteLength > 0);
    assert.equal((await statusOf(name)).phase, 'Running', 'woken by the files requests');

    await asleep(name, 'IdlePaused');
    const moved = await files(name, '/move', {
      method: 'POST',
      body: JSON.stringify({ from: '/workspace/a.txt', to: '/workspace/d/b.txt' }),
    });
    assert.equal(moved.status, 200, await moved.text());
    assert.equal((await statusOf(name)).phase, 'Running');
  });

  it('wakes an idle-stopped sandbox for a write and a remove', async () => {
    const name = uniqueName('fs');
    await w.createSandbox(name, w.alice, { kind: 'SandboxTemplate', name: 'dozy' });
    await asleep(name, 'IdleTimedOut');
    const put = await files(name, '?path=/workspace/n.txt', { method: 'PUT', body: '1\n' });
    assert.equal(put.status, 200, await put.text());
    assert.equal((await statusOf(name)).phase, 'Running', 'woken by the write');
    await asleep(name, 'IdleTimedOut');
    const removed = await files(name, '?path=/workspace/n.txt', { method: 'DELETE' });
    assert.equal(removed.status, 204, await removed.text());
    assert.equal((await statusOf(name)).phase, 'Running', 'woken by the remove');
  });
});
