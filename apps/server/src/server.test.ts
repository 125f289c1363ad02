import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildPath, ROUTES } from '@paddock/api';
import { isPaddockError } from '@paddock/core';
import { assertSafeBinding, resolveConfig } from './config.ts';
import { unhandledOperations } from './server.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

type Envelope = {
  error: { code: string; message: string; details: Record<string, unknown>; requestId: string };
};

async function envelope(res: Response): Promise<Envelope['error']> {
  const text = await res.text();
  assert.doesNotMatch(text, /\n\s+at /, 'no stack trace in an error body');
  const body = JSON.parse(text) as Envelope;
  assert.equal(typeof body.error.code, 'string');
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.details, 'object');
  assert.ok(body.error.requestId.length > 0);
  assert.equal(res.headers.get('x-request-id'), body.error.requestId);
  return body.error;
}

type SseEvent = { id?: string; data: { type: string; object: { metadata: { name: string } } } };

/** Reads `count` data events from an SSE response, then cancels it. */
async function readEvents(res: Response, count: number): Promise<SseEvent[]> {
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  while (events.length < count) {
    const next = await reader.read();
    if (next.done) break;
    buffer += next.value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined)
        events.push({ ...(id === undefined ? {} : { id }), data: JSON.parse(data) });
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return events;
}

describe('configuration', () => {
  it('lists every bad value at once and refuses a non-loopback bind without auth', () => {
    assert.throws(
      () =>
        resolveConfig({
          flags: { addr: 'nope', 'rate-limit': '-1' },
          env: { PADDOCK_OIDC_ISSUER: 'https://idp.example' },
        }),
      (error: unknown) => {
        assert.ok(isPaddockError(error, 'validation_failed'));
        const paths = (error.details.issues as Array<{ path: string }>).map((i) => i.path);
        assert.deepEqual(paths.sort(), [
          '--addr',
          '--oidc-audience / PADDOCK_OIDC_AUDIENCE',
          '--rate-limit',
        ]);
        return true;
      },
    );
    const open = resolveConfig({ flags: { addr: '0.0.0.0:7070' }, env: {} });
    assert.throws(() => assertSafeBinding(open), /loopback/);
    const secured = resolveConfig({ flags: { addr: '0.0.0.0:7070', auth: 'required' }, env: {} });
    assert.doesNotThrow(() => assertSafeBinding(secured));
  });
});

describe('REST server (anonymous admin on loopback)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ 'max-body-bytes': '2048' });
  });
  after(() => s.close());

  it('has a handler for every route of the table', () => {
    assert.deepEqual(unhandledOperations(ROUTES), []);
  });

  it('ships the built-in templates', async () => {
    const res = await s.call('/api/v1/clustersandboxtemplates');
    const list = (await res.json()) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(list.items.map((t) => t.metadata.name).sort(), [
      'agent',
      'base',
      'node',
      'python',
      'shell',
    ]);
  });

  it('round-trips a cluster-scoped kind: create, get, list, replace, conflict, apply, delete', async () => {
    const manifest = {
      apiVersion: API,
      kind: 'ClusterPolicy',
      metadata: { name: 'strict' },
      spec: { maxTimeout: '1h' },
    };
    const created = await s.call('/api/v1/clusterpolicies', {
      method: 'POST',
      body: JSON.stringify(manifest),
    });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { metadata: { resourceVersion: string } };
    const again = await s.call('/api/v1/clusterpolicies', {
      method: 'POST',
      body: JSON.stringify(manifest),
    });
    assert.equal(again.status, 409);
    assert.equal((await envelope(again)).code, 'already_exists');
    const got = await s.call('/api/v1/clusterpolicies/strict');
    assert.equal(((await got.json()) as { spec: { maxTimeout: string } }).spec.maxTimeout, '1h');
    const update = {
      ...manifest,
      metadata: { name: 'strict', resourceVersion: body.metadata.resourceVersion },
      spec: { maxTimeout: '2h' },
    };
    const replaced = await s.call('/api/v1/clusterpolicies/strict', {
      method: 'PUT',
      body: JSON.stringify(update),
    });
    assert.equal(replaced.status, 200);
    const stale = await s.call('/api/v1/clusterpolicies/strict', {
      method: 'PUT',
      body: JSON.stringify(update),
    });
    assert.equal(stale.status, 409);
    const conflict = await envelope(stale);
    assert.equal(conflict.code, 'conflict');
    assert.equal(typeof conflict.details.currentResourceVersion, 'string');
    const applied = await s.call('/api/v1/clusterpolicies/strict', {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+json' },
      body: JSON.stringify({ ...manifest, spec: { maxTimeout: '3h' } }),
    });
    assert.equal(applied.status, 200);
    const deleted = await s.call('/api/v1/clusterpolicies/strict', { method: 'DELETE' });
    assert.equal(((await deleted.json()) as { status: string }).status, 'deleted');
    assert.equal((await s.call('/api/v1/clusterpolicies/strict')).status, 404);
  });

  it('round-trips a namespaced kind, with apply creating, label selectors and pages', async () => {
    for (const name of ['a1', 'a2', 'a3']) {
      const res = await s.call(`/api/v1/namespaces/team/agents/${name}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+json' },
        body: JSON.stringify({
          apiVersion: API,
          kind: 'Agent',
          metadata: { name, labels: { tier: name === 'a3' ? 'b' : 'a' } },
          spec: { harness: { kind: 'builtin' } },
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
    }
    const page1 = (await (await s.call('/api/v1/namespaces/team/agents?limit=2')).json()) as {
      items: unknown[];
      metadata: { continue?: string };
    };
    assert.equal(page1.items.length, 2);
    assert.ok(page1.metadata.continue);
    const page2 = (await (
      await s.call(`/api/v1/namespaces/team/agents?limit=2&continue=${page1.metadata.continue}`)
    ).json()) as { items: unknown[] };
    assert.equal(page2.items.length, 1);
    const selected = (await (await s.call('/api/v1/agents?labelSelector=tier%3Da')).json()) as {
      items: unknown[];
    };
    assert.equal(selected.items.length, 2);
    const wrongNs = await s.call('/api/v1/namespaces/team/agents', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Agent',
        metadata: { name: 'x', namespace: 'other' },
        spec: { harness: { kind: 'builtin' } },
      }),
    });
    assert.equal(wrongNs.status, 400);
  });

  it('streams watch events as SSE with resourceVersion ids, resumable with Last-Event-ID', async () => {
    const agent = (name: string) =>
      JSON.stringify({
        apiVersion: API,
        kind: 'Agent',
        metadata: { name },
        spec: { harness: { kind: 'builtin' } },
      });
    const collection = '/api/v1/namespaces/watched/agents';
    assert.equal((await s.call(collection, { method: 'POST', body: agent('w1') })).status, 201);
    const watch = await s.call(`${collection}?watch=true`);
    const creating = (async () => {
      // Lets the watch reach its wait first: the writes must arrive as live events.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await s.call(collection, { method: 'POST', body: agent('w2') });
      await s.call(`${collection}/w1`, { method: 'DELETE' });
    })();
    const events = await readEvents(watch, 3);
    await creating;
    assert.deepEqual(
      events.map((e) => [e.data.type, e.data.object.metadata.name]),
      [
        ['ADDED', 'w1'],
        ['ADDED', 'w2'],
        ['DELETED', 'w1'],
      ],
    );
    const afterAdd = events[1]?.id ?? '';
    assert.ok(afterAdd !== '');
    const resumed = await s.call(`${collection}?watch=true`, {
      headers: { 'last-event-id': afterAdd },
    });
    const replay = await readEvents(resumed, 1);
    assert.deepEqual(
      replay.map((e) => [e.data.type, e.data.object.metadata.name]),
      [['DELETED', 'w1']],
    );
  });

  it('lists and watches one object with fieldSelector=metadata.name=…', async () => {
    const agent = (name: string, description = '') =>
      JSON.stringify({
        apiVersion: API,
        kind: 'Agent',
        metadata: { name },
        spec: {
          harness: { kind: 'builtin' },
          ...(description ? { systemPrompt: description } : {}),
        },
      });
    const collection = '/api/v1/namespaces/picked/agents';
    for (const name of ['p1', 'p2']) {
      assert.equal((await s.call(collection, { method: 'POST', body: agent(name) })).status, 201);
    }
    const listed = (await (
      await s.call(`${collection}?fieldSelector=metadata.name%3Dp2`)
    ).json()) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(
      listed.items.map((i) => i.metadata.name),
      ['p2'],
    );
    const watch = await s.call(`${collection}?watch=true&fieldSelector=metadata.name%3Dp2`);
    const writing = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const name of ['p1', 'p2']) {
        const path = `${collection}/${name}`;
        await s.call(path, { method: 'PUT', body: agent(name, 'changed') });
        await s.call(path, { method: 'DELETE' });
      }
    })();
    const events = await readEvents(watch, 3);
    await writing;
    assert.deepEqual(
      events.map((e) => [e.data.type, e.data.object.metadata.name]),
      [
        ['ADDED', 'p2'],
        ['MODIFIED', 'p2'],
        ['DELETED', 'p2'],
      ],
    );
    const refused = await s.call(`${collection}?fieldSelector=spec.model%3Dx`);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /fieldSelector/);
  });

  it('names every invalid field, refuses malformed JSON and oversized bodies', async () => {
    const bad = await s.call('/api/v1/namespaces/default/sandboxes?limit=0', {
      method: 'GET',
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      ((await envelope(bad)).details.issues as Array<{ path: string }>).map((i) => i.path),
      ['query.limit'],
    );
    const invalid = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'Bad_Name' },
        spec: { templateRef: { name: 'shell' }, desiredState: 'Flying' },
      }),
    });
    assert.equal(invalid.status, 400);
    const issues = ((await envelope(invalid)).details.issues as Array<{ path: string }>)
      .map((i) => i.path)
      .sort();
    assert.deepEqual(issues, ['metadata.name', 'spec.desiredState']);
    const malformed = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: '{"apiVersion":',
    });
    assert.equal(malformed.status, 400);
    assert.equal((await envelope(malformed)).code, 'validation_failed');
    const huge = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });
    assert.equal(huge.status, 413);
    assert.equal((await envelope(huge)).code, 'payload_too_large');
  });

  it('answers 404 for an unknown route and 405 with Allow for a wrong method, echoing x-request-id', async () => {
    const unknown = await s.call('/api/v1/nothing-here', {
      headers: { 'x-request-id': 'trace-123' },
    });
    assert.equal(unknown.status, 404);
    assert.equal((await envelope(unknown)).requestId, 'trace-123');
    const wrong = await s.call('/healthz', { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
    assert.equal((await envelope(wrong)).code, 'method_not_allowed');
  });

  it('refuses a sandbox that violates policy with every violation, and does not store it', async () => {
    const policy = {
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'gov' },
      spec: {
        allowedTemplates: ['ClusterSandboxTemplate/python'],
        resources: { maxMemory: '64Mi' },
        maxTimeout: '10m',
      },
    };
    assert.equal(
      (
        await s.call('/api/v1/namespaces/gov/policies', {
          method: 'POST',
          body: JSON.stringify(policy),
        })
      ).status,
      201,
    );
    const sandbox = {
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'greedy' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'agent' } },
    };
    const res = await s.call('/api/v1/namespaces/gov/sandboxes', {
      method: 'POST',
      body: JSON.stringify(sandbox),
    });
    assert.equal(res.status, 403);
    const error = await envelope(res);
    assert.equal(error.code, 'policy_violation');
    const codes = (error.details.violations as Array<{ code: string }>).map((v) => v.code).sort();
    assert.deepEqual(codes, ['memory_limit_exceeded', 'template_not_allowed', 'timeout_exceeded']);
    assert.equal((await s.call('/api/v1/namespaces/gov/sandboxes/greedy')).status, 404);
  });

  it('serves OpenAPI, probes and metrics; every route of the table is routed', async () => {
    const doc = (await (await s.call('/api/v1/openapi.json')).json()) as { openapi: string };
    assert.equal(doc.openapi, '3.1.0');
    assert.equal((await s.call('/healthz')).status, 200);
    const ready = await s.call('/readyz');
    assert.equal(ready.status, 200, await ready.clone().text());
    for (const route of ROUTES) {
      const path = buildPath(route.path, {
        namespace: 'default',
        name: 'nope',
        id: 'pdk_nope0000',
        processId: 'nope',
      });
      const res = await s.call(path, {
        method: route.method,
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
      });
      if (res.status === 404) {
        const error = await envelope(res);
        assert.doesNotMatch(error.message, /no route/, `${route.method} ${route.path}`);
      } else await res.body?.cancel();
      assert.notEqual(res.status, 405, `${route.method} ${route.path}`);
    }
    const metrics = await (await s.call('/metrics')).text();
    assert.match(
      metrics,
      /paddock_http_requests_total\{route="\/api\/v1\/namespaces\/\{namespace\}\/sandboxes",method="POST",status="403"\} 1/,
    );
    assert.match(metrics, /paddock_sandbox_create_duration_seconds_count/);
    assert.doesNotMatch(
      metrics,
      /route="\/api\/v1\/namespaces\/gov/,
      'route templates, not raw paths',
    );
  });
});
