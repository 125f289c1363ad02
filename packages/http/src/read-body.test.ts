import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, within } from '@paddock/testkit';
import { BodyProblem, BodyReadError, isBodyProblem } from './body-error.ts';
import { type Listener, startListener } from './listener.fixture.ts';
import { readBody } from './read-body.ts';
import { sendJson } from './send-whole.ts';
import { startUpload, uploadBody, uploadInPieces } from './upload-client.ts';

const LIMIT_BYTES = 64 * 1024;
const ITERATIONS = 25;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the listener saw of each request: the request and how its read ended. */
type Seen = { req: IncomingMessage; outcome: Promise<Buffer | BodyReadError> };

describe('readBody', () => {
  let listener: Listener;
  const seen: Seen[] = [];
  before(async () => {
    listener = await startListener((req, res) => {
      const read = readBody(req, LIMIT_BYTES);
      seen.push({ req, outcome: read.catch((error: BodyReadError) => error) });
      read.then(
        (body) => sendJson(res, 200, { bytes: body.length, sha256: sha256(body) }, { req }),
        (error: unknown) => {
          if (isBodyProblem(error, BodyProblem.TooLarge)) {
            sendJson(res, 413, { error: error.message }, { req });
          }
        },
      );
    });
  });
  after(() => listener.close());

  for (const isChunked of [false, true]) {
    const framing = isChunked ? 'chunked' : 'Content-Length';
    it(`reads a body under the limit whole (${framing}, up to exactly the limit)`, async () => {
      for (const sizeBytes of [0, 1, 1000, LIMIT_BYTES - 1, LIMIT_BYTES]) {
        const answer = await uploadInPieces(listener.url, { sizeBytes, isChunked });
        assert.equal(answer.status, 200, `${sizeBytes} bytes: ${answer.body}`);
        assert.deepEqual(JSON.parse(answer.body), {
          bytes: sizeBytes,
          sha256: sha256(uploadBody(sizeBytes)),
        });
        assert.equal(answer.headers.connection, 'keep-alive', 'a read body keeps the connection');
      }
    });

    for (const sizeBytes of [2 * 1024 * 1024, 16 * 1024 * 1024]) {
      const size = `${sizeBytes / 1024 / 1024} MiB`;
      it(`answers an over-limit body (${size}, ${framing}) with its 413, ${ITERATIONS} times`, async () => {
        for (let i = 0; i < ITERATIONS; i++) {
          const isReadingLate = i % 2 === 1;
          const answer = await uploadInPieces(listener.url, {
            sizeBytes,
            isChunked,
            isReadingLate,
          }).catch((error: unknown) =>
            assert.fail(`attempt ${i + 1}: the answer was lost: ${error}`),
          );
          assert.equal(answer.status, 413, `attempt ${i + 1}: ${answer.body}`);
          assert.deepEqual(JSON.parse(answer.body), {
            error: `request body exceeds ${LIMIT_BYTES} bytes`,
          });
          // The client must not send another request on a connection whose body was not read.
          assert.equal(answer.headers.connection, 'close');
        }
      });
    }
  }

  it('refuses at once when Content-Length is over the limit, and counts past it when chunked', async () => {
    seen.length = 0;
    await uploadInPieces(listener.url, { sizeBytes: LIMIT_BYTES + 1, isChunked: false });
    await uploadInPieces(listener.url, { sizeBytes: LIMIT_BYTES + 1, isChunked: true });
    const outcomes = await Promise.all(seen.map((s) => s.outcome));
    for (const outcome of outcomes) {
      assert.ok(outcome instanceof BodyReadError);
      assert.equal(outcome.problem, BodyProblem.TooLarge);
      assert.equal(outcome.limitBytes, LIMIT_BYTES);
    }
  });

  for (const isChunked of [false, true]) {
    const framing = isChunked ? 'chunked' : 'Content-Length';
    it(`ends the read when the client disconnects mid-body (${framing}), leaving nothing behind`, async () => {
      seen.length = 0;
      const { request, answer } = startUpload(listener.url, {
        sizeBytes: LIMIT_BYTES,
        isChunked,
        stallAfterBytes: LIMIT_BYTES / 2,
      });
      const failed = answer.then(
        () => assert.fail('no answer was expected'),
        () => undefined,
      );
      await eventually(() => (seen[0]?.req.socket.bytesRead ?? 0) > LIMIT_BYTES / 4, {
        what: 'a quarter of the body read',
        intervalMs: 5,
      });
      request.destroy();
      await failed;
      const [first] = seen;
      assert.ok(first !== undefined);
      const outcome = await within(first.outcome, 5_000, 'the read to end');
      assert.ok(outcome instanceof BodyReadError, String(outcome));
      assert.equal(outcome.problem, BodyProblem.CutOff);
      for (const event of ['data', 'end', 'error', 'close']) {
        assert.equal(first.req.listenerCount(event), 0, `a '${event}' listener was left`);
      }
      await eventually(async () => (await connections(listener)) === 0, {
        what: 'no connection left',
        intervalMs: 5,
      });
    });
  }
});

describe('readBody after the client left', () => {
  it('rejects at once (cut_off) when the connection closed before the read began', async (t) => {
    let arrived = (_: IncomingMessage) => {};
    const request = new Promise<IncomingMessage>((resolve) => {
      arrived = resolve;
    });
    const listener = await startListener((req) => arrived(req));
    t.after(() => listener.close());
    const upload = startUpload(listener.url, {
      sizeBytes: LIMIT_BYTES,
      isChunked: false,
      stallAfterBytes: 1000,
    });
    upload.answer.catch(() => {});
    const req = await request;
    upload.request.destroy();
    await eventually(() => req.destroyed, { what: 'the request destroyed', intervalMs: 5 });
    const outcome = await within(
      readBody(req, LIMIT_BYTES).catch((error: unknown) => error),
      5_000,
      'the read to end',
    );
    assert.ok(isBodyProblem(outcome, BodyProblem.CutOff), String(outcome));
  });
});

function connections(listener: Listener): Promise<number> {
  return new Promise((resolve, reject) =>
    listener.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
