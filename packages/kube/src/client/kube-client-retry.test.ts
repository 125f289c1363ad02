// KubeClient against a stand-in API server on the loopback interface (plain http, port 0) that
// answers what a busy cluster does: 429 with Retry-After, 503, then success.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { KubeClient, type KubeClientOptions } from './kube-client.ts';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

const status = (code: number, headers: Record<string, string> = {}): Answer => {
  return (_request, response) => {
    response.writeHead(code, { 'Content-Type': 'application/json', ...headers });
    response.end(
      JSON.stringify({ kind: 'Status', code, reason: 'Stand-in', message: `HTTP ${code}` }),
    );
  };
};

describe('KubeClient retries and rate limit (stand-in server)', () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  let answers: Answer[] = [];
  const seen: string[] = [];
  const clients: KubeClient[] = [];

  before(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
      const answer = answers.shift() ?? status(200);
      answer(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'paddock-kubeconfig-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'stand-in',
            cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'tester', user: { token: 'stand-in-token' } }],
        contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'tester' } }],
        'current-context': 'stand-in',
      }),
    );
  });
  beforeEach(() => {
    answers = [];
    seen.length = 0;
  });
  after(async () => {
    for (const client of clients) client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (options: KubeClientOptions = {}) => {
    const client = await KubeClient.fromKubeconfig(kubeconfig, { backoffMs: 5, ...options });
    clients.push(client);
    return client;
  };

  it('retries 429 (Retry-After) and 5xx, then returns the answer', async () => {
    const client = await connect();
    answers = [
      status(429, { 'Retry-After': '1' }),
      status(503),
      status(500),
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{"ok":true}');
      },
    ];
    assert.deepEqual(await client.request('GET', '/apis/x'), { ok: true });
    assert.equal(seen.length, 4);
    assert.ok(
      seen.every((line) => line === 'GET /apis/x Bearer stand-in-token'),
      seen.join('\n'),
    );
    assert.deepEqual(client.stats, { requests: 4, retries: 3, byVerb: { GET: 4 } });
  });

  it('gives up after its attempts with the last answer translated', async () => {
    const client = await connect({ attempts: 3 });
    answers = [status(429), status(429), status(429), status(200)];
    await assert.rejects(client.request('GET', '/apis/x'), (error) =>
      isPaddockError(error, 'rate_limited'),
    );
    answers = [status(503), status(503), status(503)];
    await assert.rejects(client.request('GET', '/apis/x'), (error) =>
      isPaddockError(error, 'runtime_unavailable'),
    );
    assert.equal(seen.length, 6);
  });

  it('does not retry 404, 409 or 422', async () => {
    const client = await connect();
    const cases = [
      [404, 'not_found'],
      [409, 'conflict'],
      [422, 'validation_failed'],
    ] as const;
    for (const [code, expected] of cases) {
      answers = [status(code)];
      await assert.rejects(client.request('PUT', '/apis/x', { body: {} }), (error) =>
        isPaddockError(error, expected),
      );
    }
    assert.equal(seen.length, 3);
    assert.equal(client.stats.retries, 0);
  });

  it('retries a watch answered 429, then streams its events', async () => {
    const client = await connect();
    answers = [
      status(429, { 'Retry-After': '1' }),
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
        response.end('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n');
      },
    ];
    const types: string[] = [];
    for await (const event of client.watch(
      '/apis/x',
      { resourceVersion: '1' },
      new AbortController().signal,
    )) {
      types.push(event.type);
    }
    assert.deepEqual(types, ['ADDED', 'BOOKMARK']);
    assert.match(
      seen[1] ?? '',
      /^GET \/apis\/x\?resourceVersion=1&watch=true&allowWatchBookmarks=true /,
    );
    assert.deepEqual(client.stats.byVerb, { WATCH: 2 });
  });

  it('a watch that is aborted while waiting ends', async () => {
    const client = await connect();
    answers = [
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
      },
    ];
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
