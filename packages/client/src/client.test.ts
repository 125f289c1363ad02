import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { APPLY_CONTENT_TYPE } from '@paddock/api';
import { isPaddockError, PaddockError } from '@paddock/core';
import { createClient } from './index.ts';
import {
  type Handler,
  type StandIn,
  sandbox,
  sendError,
  sendJson,
  startStandIn,
} from './stand-in-server.fixture.ts';

const handlers: Record<string, Handler> = {
  getSandbox: (req, res) => sendJson(res, 200, sandbox(req.params.name ?? '')),
  createSandbox: (req, res) => sendJson(res, 201, JSON.parse(req.body.toString())),
  applySandbox: (req, res) => sendJson(res, 200, JSON.parse(req.body.toString())),
  listSandbox: (_req, res) =>
    sendJson(res, 200, {
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'SandboxList',
      metadata: { resourceVersion: '7' },
      items: [sandbox('a'), sandbox('b')],
    }),
  replaceSandbox: (_req, res) =>
    sendError(
      res,
      new PaddockError('conflict', 'stale resourceVersion', { currentResourceVersion: '9' }),
    ),
  stopSandbox: (_req, res) =>
    sendError(
      res,
      new PaddockError('policy_violation', 'refused', {
        violations: [{ code: 'cpu_limit_exceeded', field: 'spec.cpu', message: 'too much' }],
      }),
      'req-42',
    ),
  execSandbox: (_req, res) =>
    sendError(
      res,
      new PaddockError('validation_failed', 'invalid exec', {
        issues: [{ path: 'command', message: 'must name a program' }],
      }),
    ),
  startSandbox: (_req, res) => sendJson(res, 200, { ...sandbox('x'), status: { phase: 'Bogus' } }),
  listSandboxPorts: (_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<h1>bad gateway</h1>');
  },
  getHealth: (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('not json at all');
  },
  getCurrentUser: () => {}, // never answers: the client's time limit must fire
  readSandboxFile: (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from([0, 1, 2, 255]));
  },
  writeSandboxFile: (req, res) =>
    sendJson(res, 200, {
      path: req.url.searchParams.get('path'),
      name: 'f',
      type: 'file',
      sizeBytes: req.body.length,
      mode: 420,
      modifiedAt: '2025-01-01T00:00:00Z',
    }),
  deleteSandboxFile: (_req, res) => {
    res.writeHead(204);
    res.end();
  },
};

describe('client against a stand-in server', () => {
  let server: StandIn;
  before(async () => {
    server = await startStandIn(handlers);
  });
  after(() => server.close());
  const client = () => createClient({ baseUrl: server.baseUrl, token: 'pdk_secret' });
  const last = () => {
    const request = server.requests.at(-1);
    assert.ok(request);
    return request;
  };

  it('gets a sandbox: typed call, path built, bearer token sent, response validated', async () => {
    const got = await client().call('getSandbox', { params: { namespace: 'team-a', name: 'box' } });
    assert.equal(got.metadata.name, 'box');
    assert.equal(got.status?.phase, 'Running');
    assert.equal(last().url.pathname, '/api/v1/namespaces/team-a/sandboxes/box');
    assert.equal(last().headers.authorization, 'Bearer pdk_secret');
  });

  it('lists with a serialised query through the convenience namespace', async () => {
    const list = await client().sandboxes.list({ labelSelector: 'app=web', limit: 5 });
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['a', 'b'],
    );
    assert.equal(last().url.pathname, '/api/v1/namespaces/default/sandboxes');
    assert.equal(last().url.search, '?labelSelector=app%3Dweb&limit=5');
  });

  it('creates with a JSON body and applies with the apply media type', async () => {
    const manifest = {
      apiVersion: 'paddock.dev/v1alpha1' as const,
      kind: 'Sandbox' as const,
      metadata: { name: 'new', namespace: 'team-b' },
      spec: { templateRef: { name: 'base' } },
    };
    const created = await client().sandboxes.create(manifest);
    assert.equal(created.spec.desiredState, 'Running'); // default applied by the schema
    assert.equal(last().headers['content-type'], 'application/json');
    assert.equal(last().url.pathname, '/api/v1/namespaces/team-b/sandboxes');
    assert.deepEqual(JSON.parse(last().body.toString()), manifest);
    await client().resources('Sandbox').apply(manifest);
    assert.equal(last().method, 'PATCH');
    assert.equal(last().headers['content-type'], APPLY_CONTENT_TYPE);
    assert.equal(last().url.pathname, '/api/v1/namespaces/team-b/sandboxes/new');
  });

  it('turns policy_violation into PaddockError with violations and the request id', async () => {
    const error = await client()
      .sandboxes.stop('box')
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'policy_violation'), String(error));
    assert.deepEqual(error.details.violations, [
      { code: 'cpu_limit_exceeded', field: 'spec.cpu', message: 'too much' },
    ]);
    assert.equal(error.details.requestId, 'req-42');
  });

  it('turns conflict into PaddockError with currentResourceVersion', async () => {
    const error = await client()
      .sandboxes.replace({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { name: 'box', resourceVersion: '3' },
        spec: { templateRef: { name: 'base' } },
      })
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'conflict'), String(error));
    assert.equal(error.details.currentResourceVersion, '9');
  });

  it('turns validation_failed into PaddockError with issues', async () => {
    const error = await client()
      .sandboxes.exec('box', { command: ['true'] })
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'validation_failed'), String(error));
    assert.deepEqual(error.details.issues, [{ path: 'command', message: 'must name a program' }]);
  });

  it('rejects a response that does not match the schema, naming the field', async () => {
    const error = await client()
      .sandboxes.start('x')
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'internal'), String(error));
    assert.match(error.message, /^unexpected response from startSandbox: status\.phase: /);
  });

  it('rejects a success body that is not JSON', async () => {
    const error = await client()
      .health()
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'internal'), String(error));
    assert.match(error.message, /unexpected response from getHealth: not JSON/);
  });

  it('turns a non-envelope error page into internal with its status', async () => {
    const error = await client()
      .sandboxes.ports('box')
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'internal'), String(error));
    assert.equal(error.details.status, 502);
  });

  it('reads and writes raw bytes, and answers 204 with undefined', async () => {
    const bytes = await client().sandboxes.files.read('box', '/workspace/a.bin');
    assert.deepEqual([...bytes], [0, 1, 2, 255]);
    assert.equal(last().url.searchParams.get('path'), '/workspace/a.bin');
    const info = await client().sandboxes.files.write('box', '/workspace/b.txt', 'héllo', {
      mode: '644',
    });
    assert.equal(info.sizeBytes, 6);
    assert.equal(last().headers['content-type'], 'application/octet-stream');
    assert.equal(last().url.searchParams.get('mode'), '644');
    const removed = await client().sandboxes.files.remove('box', '/workspace/b.txt', {
      recursive: true,
    });
    assert.equal(removed, undefined);
    assert.equal(last().url.search, '?path=%2Fworkspace%2Fb.txt&recursive=true');
  });

  it('times out with code timeout', async () => {
    const error = await createClient({ baseUrl: server.baseUrl, timeoutMs: 100 })
      .me()
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'timeout'), String(error));
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const reason = new Error('changed my mind');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 20);
    const error = await client()
      .me({ signal: controller.signal })
      .catch((e: unknown) => e);
    assert.equal(error, reason);
  });
});

describe('client without a server', () => {
  it('reports runtime_unavailable for a closed port', async () => {
    const port = await closedPort();
    const error = await createClient({ baseUrl: `http://127.0.0.1:${port}` })
      .health()
      .catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'runtime_unavailable'), String(error));
    assert.match(error.message, new RegExp(`cannot reach Paddock at http://127.0.0.1:${port}`));
  });

  it('checks its options at once, listing every problem', () => {
    assert.throws(
      () => createClient({ baseUrl: 'ftp://x', timeoutMs: -1 }),
      (e: unknown) =>
        isPaddockError(e, 'validation_failed') &&
        /baseUrl/.test(e.message) &&
        /timeoutMs/.test(e.message),
    );
  });
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
