import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { createClient } from './index.ts';
import { type Recorded, type StandIn, sandbox, startStandIn } from './stand-in-server.fixture.ts';

const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const watchEvent = (type: string, name: string, rv: string) =>
  `id: ${rv}\nevent: message\ndata: ${JSON.stringify({ type, object: sandbox(name, rv) })}\n\n`;

describe('streams against a stand-in server', () => {
  let server: StandIn;
  let watchConnections = 0;
  const watchRequests: Recorded[] = [];
  before(async () => {
    server = await startStandIn({
      listSandbox: (req, res) => {
        watchRequests.push(req);
        watchConnections++;
        res.writeHead(200, sseHead);
        if (req.url.searchParams.get('labelSelector') === 'expired') {
          const envelope = {
            error: { code: 'expired', message: 'too old', details: {}, requestId: 'r' },
          };
          res.end(`event: error\ndata: ${JSON.stringify(envelope)}\n\n`);
          return;
        }
        if (req.url.searchParams.get('labelSelector') === 'idle') {
          res.write(': keep-alive\n\n'); // stays open until the client aborts
          return;
        }
        if (watchConnections === 1) {
          // Two events (one split across writes, CRLF endings), then the connection dies.
          res.write(watchEvent('ADDED', 'a', '11'));
          res.write(watchEvent('MODIFIED', 'a', '12').replaceAll('\n', '\r\n').slice(0, 30));
          res.write(watchEvent('MODIFIED', 'a', '12').replaceAll('\n', '\r\n').slice(30));
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        res.write(': resumed\n');
        res.write(watchEvent('DELETED', 'a', '13'));
      },
      execSandboxStream: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"type":"started","processId":"p1"}\n{"type":"stdout","da');
        res.write('ta":"hi\\n"}\n\n{"type":"stderr","data":"oops"}\n');
        res.end('{"type":"exit","exitCode":0,"signal":null,"timedOut":false,"durationMs":3}\n');
      },
      getSandboxLogs: (req, res) => {
        if (req.url.searchParams.get('follow') !== 'true') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('line 1\nline 2\n');
          return;
        }
        res.writeHead(200, sseHead);
        const line = (text: string) =>
          `data: ${JSON.stringify({ stream: 'stdout', text, timestamp: '2025-01-01T00:00:00Z' })}\n\n`;
        res.end(line('one') + line('two'));
      },
    });
  });
  after(() => server.close());
  const client = () =>
    createClient({
      baseUrl: server.baseUrl,
      token: 't',
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });

  it('watch parses events and resumes after a drop with Last-Event-ID', async () => {
    const seen: string[] = [];
    for await (const event of client().sandboxes.watch({ namespace: 'ns1' })) {
      seen.push(`${event.type} ${event.object.metadata.resourceVersion}`);
      if (event.type === 'DELETED') break;
    }
    assert.deepEqual(seen, ['ADDED 11', 'MODIFIED 12', 'DELETED 13']);
    assert.equal(watchRequests.length, 2);
    const [first, second] = watchRequests;
    assert.equal(first?.url.searchParams.get('watch'), 'true');
    assert.equal(first?.url.pathname, '/api/v1/namespaces/ns1/sandboxes');
    assert.equal(first?.headers['last-event-id'], undefined);
    assert.equal(second?.headers['last-event-id'], '12');
    assert.equal(second?.headers.authorization, 'Bearer t');
  });

  it('an error event ends a watch with that PaddockError', async () => {
    const events = client().resources('Sandbox').watch({ labelSelector: 'expired' });
    await assert.rejects(
      async () => {
        for await (const _ of events) assert.fail('no event expected');
      },
      (e: unknown) => isPaddockError(e, 'expired'),
    );
  });

  it('abort ends an open watch quietly', async () => {
    const controller = new AbortController();
    const events = client().sandboxes.watch({ labelSelector: 'idle', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    let count = 0;
    for await (const _ of events) count++;
    assert.equal(count, 0);
    assert.ok(controller.signal.aborted);
  });

  it('execStream yields NDJSON events in order', async () => {
    const events = [];
    for await (const event of client().sandboxes.execStream('box', { command: ['echo', 'hi'] })) {
      events.push(event);
    }
    assert.deepEqual(
      events.map((e) => e.type),
      ['started', 'stdout', 'stderr', 'exit'],
    );
    assert.deepEqual(events[1], { type: 'stdout', data: 'hi\n' });
    const request = server.requests.at(-1);
    assert.deepEqual(JSON.parse(request?.body.toString() ?? ''), { command: ['echo', 'hi'] });
  });

  it('logs: text without follow, SSE lines with follow that end when the server ends', async () => {
    assert.equal(await client().sandboxes.logs('box'), 'line 1\nline 2\n');
    const lines: string[] = [];
    for await (const line of client().sandboxes.logs('box', { follow: true }))
      lines.push(line.text);
    assert.deepEqual(lines, ['one', 'two']);
    assert.equal(server.requests.at(-1)?.url.searchParams.get('follow'), 'true');
  });
});
