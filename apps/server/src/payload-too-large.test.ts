import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './test-server.ts';

type Answer = { status: number; headers: IncomingHttpHeaders; body: string };

const CREDENTIALS = '/api/v1/namespaces/default/credentials';
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * POSTs a JSON credential whose value is `sizeBytes` long with a raw `node:http` client that
 * keeps sending until the answer is complete. Resolves with the answer; rejects when the
 * connection fails before it (ECONNRESET, EPIPE).
 */
function postLarge(url: string, sizeBytes: number, isChunked: boolean): Promise<Answer> {
  const head = Buffer.from('{"name":"big","type":"env","value":"');
  const tail = Buffer.from('"}');
  const total = head.length + sizeBytes + tail.length;
  return new Promise((resolve, reject) => {
    const req = request(new URL(CREDENTIALS, url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(isChunked ? {} : { 'content-length': String(total) }),
      },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    let sent = 0;
    const pump = () => {
      while (sent < sizeBytes) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, sizeBytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end(tail);
    };
    req.write(head);
    pump();
  });
}

describe('an over-limit body always gets its 413 before the connection closes', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const ITERATIONS = 30;
  for (const sizeBytes of [2 * 1024 * 1024, 20 * 1024 * 1024]) {
    for (const isChunked of [false, true]) {
      const framing = isChunked ? 'chunked' : 'Content-Length';
      it(`${sizeBytes / 1024 / 1024} MB with ${framing}, ${ITERATIONS} times`, async () => {
        for (let i = 0; i < ITERATIONS; i++) {
          const answer = await postLarge(s.url, sizeBytes, isChunked).catch((error: unknown) => {
            assert.fail(`attempt ${i + 1}: no answer, the connection failed: ${String(error)}`);
          });
          assert.equal(answer.status, 413, `attempt ${i + 1}: ${answer.body}`);
          const envelope = JSON.parse(answer.body) as { error: { code: string } };
          assert.equal(envelope.error.code, 'payload_too_large');
          // The client must not send another request on a connection whose body was not read.
          assert.equal(answer.headers.connection, 'close');
        }
      });
    }
  }

  it('still serves ordinary requests afterwards', async () => {
    const res = await s.call(CREDENTIALS, {
      method: 'POST',
      body: JSON.stringify({ name: 'small', type: 'env', value: 'x' }),
    });
    assert.equal(res.status, 201, await res.text());
  });
});
