// KubeClient against a stand-in API server that answers what a busy cluster does: 429 with
// Retry-After, 503, then success.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { KubeClient, type KubeClientOptions } from './kube-client.ts';
import { json, type StandInApi, startStandInApi, status, stream } from './stand-in-api.ts';

describe('KubeClient retries and rate limit (stand-in server)', () => {
  let api: StandInApi;
  const clients: KubeClient[] = [];

  before(async () => {
    api = await startStandInApi();
  });
  beforeEach(() => {
    api.answers = [];
    api.seen.length = 0;
  });
  after(async () => {
    for (const client of clients) client.close();
    await api.close();
  });

  const connect = async (options: KubeClientOptions = {}) => {
    const client = await KubeClient.fromKubeconfig(api.kubeconfig, { backoffMs: 5, ...options });
    clients.push(client);
    return client;
  };

  it('retries 429 (Retry-After) and 5xx, then returns the answer', async () => {
    const client = await connect();
    api.answers = [
      status(429, { 'Retry-After': '1' }),
      status(503),
      status(500),
      json({ ok: true }),
    ];
    assert.deepEqual(await client.request('GET', '/apis/x'), { ok: true });
    assert.equal(api.seen.length, 4);
    assert.ok(
      api.seen.every((line) => line === 'GET /apis/x Bearer stand-in-token'),
      api.seen.join('\n'),
    );
    assert.deepEqual(client.stats, { requests: 4, retries: 3, byVerb: { GET: 4 } });
  });

  it('gives up after its attempts with the last answer translated', async () => {
    const client = await connect({ attempts: 3 });
    api.answers = [status(429), status(429), status(429), status(200)];
    await assert.rejects(client.request('GET', '/apis/x'), (error) =>
      isPaddockError(error, 'rate_limited'),
    );
    api.answers = [status(503), status(503), status(503)];
    await assert.rejects(client.request('GET', '/apis/x'), (error) =>
      isPaddockError(error, 'runtime_unavailable'),
    );
    assert.equal(api.seen.length, 6);
  });

  it('does not retry 404, 409 or 422', async () => {
    const client = await connect();
    const cases = [
      [404, 'not_found'],
      [409, 'conflict'],
      [422, 'validation_failed'],
    ] as const;
    for (const [code, expected] of cases) {
      api.answers = [status(code)];
      await assert.rejects(client.request('PUT', '/apis/x', { body: {} }), (error) =>
        isPaddockError(error, expected),
      );
    }
    assert.equal(api.seen.length, 3);
    assert.equal(client.stats.retries, 0);
  });

  it('retries a watch answered 429, then streams its events', async () => {
    const client = await connect();
    api.answers = [
      status(429, { 'Retry-After': '1' }),
      stream([
        { type: 'ADDED', object: { metadata: { name: 'a' } } },
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } },
      ]),
    ];
    const types: string[] = [];
    const signal = new AbortController().signal;
    for await (const event of client.watch('/apis/x', { resourceVersion: '1' }, signal)) {
      types.push(event.type);
    }
    assert.deepEqual(types, ['ADDED', 'BOOKMARK']);
    assert.match(
      api.seen[1] ?? '',
      /^GET \/apis\/x\?resourceVersion=1&watch=true&allowWatchBookmarks=true /,
    );
    assert.deepEqual(client.stats.byVerb, { WATCH: 2 });
  });

  it('a watch that is aborted while waiting ends', async () => {
    const client = await connect();
    api.answers = [stream([{ type: 'ADDED', object: { metadata: { name: 'a' } } }], true)];
    const controller = new AbortController();
    const events = client.watch('/apis/x', {}, controller.signal);
    assert.equal((await events.next()).value?.type, 'ADDED');
    const pending = events.next();
    setTimeout(() => controller.abort(), 20);
    assert.equal((await pending).done, true);
  });

  it('waits for its rate limit: burst, then qps', async () => {
    const client = await connect({ qps: 20, burst: 2 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => client.request('GET', '/apis/x')));
    // 2 at once, then 4 more at 20 a second: at least 200 ms (no upper bound: machines vary).
    assert.ok(performance.now() - started >= 190, `${performance.now() - started} ms`);
  });
});
