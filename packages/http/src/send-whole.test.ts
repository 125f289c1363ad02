import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { eventually } from '@paddock/testkit';
import { type Handler, startListener } from './listener.fixture.ts';
import { readBody } from './read-body.ts';
import { sendJson, sendWhole } from './send-whole.ts';
import type { DrainLimits } from './unread-body.ts';
import { rawUpload, startUpload, uploadInPieces } from './upload-client.ts';

const MiB = 1024 * 1024;

async function start(t: TestContext, handler: Handler) {
  const listener = await startListener(handler);
  t.after(() => listener.close());
  return listener;
}

describe('sendWhole', () => {
  it('answers a request whose body it never read, every time, then closes the connection', async (t) => {
    const listener = await start(t, (req, res) => {
      sendJson(res, 401, { error: 'no token' }, { req, headers: { 'www-authenticate': 'Bearer' } });
    });
    for (const isChunked of [false, true]) {
      for (let i = 0; i < 20; i++) {
        const isReadingLate = i % 2 === 1;
        const answer = await uploadInPieces(listener.url, {
          sizeBytes: 8 * MiB,
          isChunked,
          isReadingLate,
        });
        assert.equal(answer.status, 401, `attempt ${i + 1}`);
        assert.deepEqual(JSON.parse(answer.body), { error: 'no token' });
        assert.equal(answer.headers.connection, 'close');
        assert.equal(answer.headers['content-type'], 'application/json');
        assert.equal(answer.headers['content-length'], String(answer.body.length));
        assert.equal(answer.headers['www-authenticate'], 'Bearer');
      }
    }
  });

  it('keeps the connection of a request whose body was read', async (t) => {
    const listener = await start(t, async (req, res) => {
      const body = await readBody(req, MiB);
      sendWhole(res, { status: 200, headers: { 'x-bytes': body.length }, body: 'ok' }, { req });
    });
    const answer = await uploadInPieces(listener.url, { sizeBytes: 1000, isChunked: true });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'ok');
    assert.equal(answer.headers['x-bytes'], '1000');
    assert.equal(answer.headers.connection, 'keep-alive');
  });

  it('reads at most drainLimits.bytes of an unread body before closing the connection', {
    timeout: 20_000,
  }, async (t) => {
    const { seen, handler } = earlyAnswer({ bytes: MiB, timeoutMs: 60_000 });
    const listener = await start(t, handler);
    await rawUpload(listener.url, { declaredBytes: 256 * MiB, sendBytes: 256 * MiB });
    const { req, res } = await seen;
    assert.ok(res.writableEnded, 'the answer was ended');
    assert.ok(
      req.socket.bytesRead < 32 * MiB,
      `read ${req.socket.bytesRead} bytes of an unread body, far past the 1 MiB bound`,
    );
  });

  it('waits at most drainLimits.timeoutMs for the rest of an unread body', {
    timeout: 20_000,
  }, async (t) => {
    const { seen, handler } = earlyAnswer({ bytes: 64 * MiB, timeoutMs: 50 });
    const listener = await start(t, handler);
    // The client sends 1 MiB of 8 and then nothing; the server closes the connection.
    const answer = await rawUpload(listener.url, { declaredBytes: 8 * MiB, sendBytes: MiB });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.ok(answer.endsWith('{"error":"too large"}'), answer);
    const { res } = await seen;
    assert.ok(res.writableFinished, 'the answer was ended');
  });

  it('ends the drain when the client leaves mid-body', async (t) => {
    const { seen, handler } = earlyAnswer({ bytes: 64 * MiB, timeoutMs: 60_000 });
    const listener = await start(t, handler);
    const { request, answer } = startUpload(listener.url, {
      sizeBytes: 8 * MiB,
      isChunked: false,
      stallAfterBytes: MiB,
    });
    assert.equal((await answer).status, 413);
    request.destroy();
    const { req, res } = await seen;
    await eventually(() => res.writableEnded, {
      what: 'the answer ended at once, not after the timeout',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    for (const event of ['data', 'end', 'error', 'close']) {
      assert.equal(req.listenerCount(event), 0, `a '${event}' listener was left`);
    }
  });

  it('returns false and writes nothing once the headers are out', async (t) => {
    const results: boolean[] = [];
    const listener = await start(t, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started ');
      results.push(sendJson(res, 500, { error: 'late' }, { req }));
      res.end('ended');
    });
    const answer = await uploadInPieces(listener.url, { sizeBytes: 0, isChunked: false });
    assert.deepEqual(results, [false]);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'started ended');
  });
});

/** A handler that answers 413 without reading the body, with `limits` on the drain. */
function earlyAnswer(limits: DrainLimits) {
  let resolve = (_: { req: IncomingMessage; res: ServerResponse }) => {};
  const seen = new Promise<{ req: IncomingMessage; res: ServerResponse }>((r) => {
    resolve = r;
  });
  const handler: Handler = (req, res) => {
    sendJson(res, 413, { error: 'too large' }, { req, drainLimits: limits });
    resolve({ req, res });
  };
  return { seen, handler };
}
