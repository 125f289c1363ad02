import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { type EventStream, formatSseEvent, startEventStream } from './event-stream.ts';
import { type Handler, startListener } from './listener.fixture.ts';
import { type NdjsonStream, startNdjsonStream } from './ndjson-stream.ts';

async function start(t: TestContext, handler: Handler): Promise<string> {
  const listener = await startListener(handler);
  t.after(() => listener.close());
  return listener.url;
}

/** Reads `response` until `text` holds `until`; returns all read so far. */
async function readUntil(response: Response, until: RegExp): Promise<string> {
  const reader = response.body?.getReader();
  assert.ok(reader);
  const decoder = new TextDecoder();
  let text = '';
  while (!until.test(text)) {
    const next = await reader.read();
    if (next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

/** Resolves with the stream a handler started, once the first request has arrived. */
function capture<T>(open: (res: ServerResponse) => T): { handler: Handler; opened: Promise<T> } {
  let resolve = (_: T) => {};
  const opened = new Promise<T>((r) => {
    resolve = r;
  });
  return { handler: (_req, res) => resolve(open(res)), opened };
}

describe('event streams', () => {
  it('formats an event: id, name, and one data line per line of text', () => {
    assert.equal(formatSseEvent({ data: '{"a":1}' }), 'data: {"a":1}\n\n');
    assert.equal(
      formatSseEvent({ id: 7, event: 'message_start', data: 'one\ntwo\r\nthree' }),
      'id: 7\nevent: message_start\ndata: one\ndata: two\ndata: three\n\n',
    );
  });

  it('sends the head at once, then events and heartbeat comments while idle', async (t) => {
    const { handler, opened } = capture((res) =>
      startEventStream(res, { heartbeatMs: 10, headers: { 'x-request-id': 'r1' } }),
    );
    const url = await start(t, handler);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-request-id'), 'r1');
    const stream = await opened;
    assert.equal(stream.send({ id: 1, data: '"first"' }), true);
    const text = await readUntil(response, /(: heartbeat\n\n){2}/);
    assert.ok(text.startsWith('id: 1\ndata: "first"\n\n'), text);
    stream.end();
    assert.equal(stream.isOpen(), false);
    assert.equal(stream.send({ data: 'late' }), false);
  });

  it('is closed when the client goes away: nothing more is written', async (t) => {
    let stream: EventStream | undefined;
    const { handler, opened } = capture((res) => {
      stream = startEventStream(res, { heartbeatMs: 5 });
      return res;
    });
    const url = await start(t, handler);
    const client = new AbortController();
    const response = await fetch(url, { signal: client.signal });
    await readUntil(response, /: heartbeat/);
    const res = await opened;
    client.abort();
    assert.ok(stream);
    await stream.closed;
    assert.equal(stream.isOpen(), false);
    assert.equal(stream.comment('anyone?'), false);
    assert.ok(res.destroyed);
  });

  it('is closed when its signal aborts (a server shutting down)', async (t) => {
    const shutdown = new AbortController();
    const { handler, opened } = capture((res) =>
      startEventStream(res, { signal: shutdown.signal }),
    );
    const url = await start(t, handler);
    const response = await fetch(url);
    const stream = await opened;
    shutdown.abort();
    await stream.closed;
    stream.end();
    assert.equal(await response.text(), '');
  });
});

describe('NDJSON streams', () => {
  it('writes one JSON value a line, and empty lines as its heartbeat', async (t) => {
    const { handler, opened } = capture((res) => startNdjsonStream(res, { heartbeatMs: 10 }));
    const url = await start(t, handler);
    const response = await fetch(url);
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
    const stream: NdjsonStream = await opened;
    stream.line({ type: 'started', n: 1 });
    stream.line({ type: 'text', data: 'a\nb' });
    const text = await readUntil(response, /\n\n\n/);
    stream.end();
    const lines = text.split('\n').filter((line) => line !== '');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      [
        { type: 'started', n: 1 },
        { type: 'text', data: 'a\nb' },
      ],
    );
  });
});
