import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uploadInPieces } from '@paddock/http';
import { startTestServer, type TestServer } from './test-server.ts';

const CREDENTIALS = '/api/v1/namespaces/default/credentials';

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
          // Half the clients read only once they have sent everything: a reset loses their 413.
          const answer = await uploadInPieces(new URL(CREDENTIALS, s.url).href, {
            headers: { 'content-type': 'application/json' },
            sizeBytes,
            isChunked,
            isReadingLate: i % 2 === 1,
          }).catch((error: unknown) => {
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
