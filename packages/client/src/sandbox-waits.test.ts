import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type Sandbox } from '@paddock/core';
import { createClient } from './index.ts';
import { type Recorded, type StandIn, sandbox, startStandIn } from './stand-in-server.fixture.ts';

const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const LIST_VERSION = '100';

/** Polls `condition` (the stand-in's requests arrive on their own schedule). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), 'the condition never held');
}

describe('waitFor against a stand-in server', () => {
  let server: StandIn;
  /** Open watch connections, and every watch request made. */
  const watches = new Set<ServerResponse>();
  const watchRequests: Recorded[] = [];
  /** What a GET answers: the sandbox at version 101, Creating, unless named `ready-…`. */
  const gets: string[] = [];
  const emit = (type: string, name: string, rv: string, phase: string) => {
    const data = JSON.stringify({ type, object: sandbox(name, rv, phase) });
    for (const res of watches) res.write(`id: ${rv}\ndata: ${data}\n\n`);
  };
  before(async () => {
    server = await startStandIn({
      listSandbox: (req, res) => {
        if (req.url.searchParams.get('watch') !== 'true') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              apiVersion: 'paddock.dev/v1alpha1',
              kind: 'SandboxList',
              metadata: { resourceVersion: LIST_VERSION },
              items: [],
            }),
          );
          return;
        }
        watchRequests.push(req);
        watches.add(res);
        res.on('close', () => watches.delete(res));
        res.writeHead(200, sseHead);
        res.write(': open\n\n');
      },
      getSandbox: (req, res) => {
        const name = req.params.name ?? '';
        gets.push(name);
        res.writeHead(200, { 'content-type': 'application/json' });
        const phase = name.startsWith('ready-') ? 'Running' : 'Creating';
        res.end(JSON.stringify(sandbox(name, '101', phase)));
      },
    });
  });
  after(() => server.close());

  it('serves concurrent waits from one namespace watch that starts before their reads', async () => {
    watchRequests.length = 0;
    const client = createClient({ baseUrl: server.baseUrl });
    const running = (s: Sandbox) => s.status?.phase === 'Running';
    const names = Array.from({ length: 5 }, (_, i) => `box-${i}`);
    const waits = names.map((name) => client.sandboxes.waitFor(name, running));
    // The first wait is alone and watches its sandbox; the others share a namespace watch.
    await until(() => gets.length === names.length && watches.size === 2);
    // `early` is Running before anyone waits for it (box-2's answer shows the client saw that).
    emit('MODIFIED', 'early', '106', 'Running');
    emit('MODIFIED', 'box-2', '107', 'Running');
    assert.equal((await waits[2])?.metadata.resourceVersion, '107');
    // A copy from after the watch's start is not read again; an older one is.
    const fromCopy = (name: string, rv: string) => ({
      from: sandbox(name, rv, 'Creating') as Sandbox,
    });
    const early = client.sandboxes.waitFor('early', running, fromCopy('early', '105'));
    const fresh = client.sandboxes.waitFor('fresh', running, fromCopy('fresh', '105'));
    const stale = client.sandboxes.waitFor('stale', running, fromCopy('stale', '90'));
    assert.equal((await early).metadata.resourceVersion, '106');
    await until(() => gets.includes('stale'));
    // A change no newer than what box-1's wait read is not news to it.
    emit('MODIFIED', 'box-1', '101', 'Running');
    emit('MODIFIED', 'other', '102', 'Running');
    emit('MODIFIED', 'fresh', '108', 'Running');
    emit('MODIFIED', 'stale', '109', 'Running');
    for (const [i, name] of names.entries()) emit('MODIFIED', name, String(110 + i), 'Running');
    assert.equal((await fresh).metadata.resourceVersion, '108');
    assert.equal((await stale).metadata.resourceVersion, '109');
    const ready = await Promise.all(waits);
    assert.deepEqual(
      ready.map((s) => s.metadata.resourceVersion),
      ['110', '111', '107', '113', '114'],
    );
    assert.ok(!gets.includes('fresh') && !gets.includes('early'), 'copies not read again');
    const selectors = watchRequests.map((r) => r.url.searchParams.get('fieldSelector'));
    assert.deepEqual(selectors.sort(), ['metadata.name=box-0', null], 'two watches for five waits');
    const alone = watchRequests.find((r) => r.url.searchParams.has('fieldSelector'));
    assert.equal(alone?.url.searchParams.get('resourceVersion'), '101');
    const shared = watchRequests.find((r) => !r.url.searchParams.has('fieldSelector'));
    assert.equal(shared?.url.searchParams.get('resourceVersion'), LIST_VERSION);
    const list = server.requests.find(
      (r) => r.url.pathname.endsWith('/sandboxes') && r.url.searchParams.get('watch') === null,
    );
    assert.equal(list?.url.searchParams.get('limit'), '1');
    // The watch ends with its last wait.
    await until(() => watches.size === 0);
  });

  it('answers at once without a watch; a wait alone ends on deletion and on timeout', async () => {
    const client = createClient({ baseUrl: server.baseUrl });
    watchRequests.length = 0;
    const now = await client.sandboxes.waitFor('ready-1', (s) => s.status?.phase === 'Running');
    assert.equal(now.metadata.name, 'ready-1');
    assert.equal(watchRequests.length, 0);
    const gone = client.sandboxes
      .waitFor('doomed', (s) => s.status?.phase === 'Running', { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    await until(() => watches.size === 1);
    emit('DELETED', 'doomed', '120', 'Creating');
    const deleted = await gone;
    assert.ok(isPaddockError(deleted, 'sandbox_not_found'), String(deleted));
    const timedOut = await client.sandboxes
      .waitFor('slow', () => false, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(timedOut, 'timeout'), String(timedOut));
    await until(() => watches.size === 0);
  });

  it('a shared wait ends on deletion and on timeout', async () => {
    const client = createClient({ baseUrl: server.baseUrl });
    watchRequests.length = 0;
    const first = client.sandboxes
      .waitFor('first', () => false, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    const gone = client.sandboxes
      .waitFor('doomed-2', (s) => s.status?.phase === 'Running', { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    await until(() => gets.includes('doomed-2') && watches.size === 2);
    emit('DELETED', 'doomed-2', '130', 'Creating');
    const deleted = await gone;
    assert.ok(isPaddockError(deleted, 'sandbox_not_found'), String(deleted));
    const timedOut = await first;
    assert.ok(isPaddockError(timedOut, 'timeout'), String(timedOut));
    await until(() => watches.size === 0);
  });
});
