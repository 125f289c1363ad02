// The answers of the `read` script no real tool gives on purpose: no size first, more bytes than
// the size, a buffered read past its bound. The scripts' real answers are exercised in the
// runtimes' tests (files-hostile.test.ts, pod-files.test.ts); here the process is its streams.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, isPaddockError, PaddockError } from './errors.ts';
import { fileBytesOf, readFileStream } from './file-read-stream.ts';
import type { ProcessHandle } from './runtime.ts';

/** A process that printed `chunks` and exited `exitCode`; `killed` records its signals. */
function printed(chunks: string[], exitCode = 0): { handle: ProcessHandle; killed: string[] } {
  const killed: string[] = [];
  const encoder = new TextEncoder();
  const handle: ProcessHandle = {
    id: 'p',
    stdin: new WritableStream(),
    stdout: new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
    stderr: new ReadableStream({ start: (c) => c.close() }),
    resize: async () => {},
    signal: async (name) => {
      killed.push(name);
    },
    exit: Promise.resolve({ exitCode, signal: null, timedOut: false }),
  };
  return { handle, killed };
}

const failure = (exitCode: number | null, stderr: string) =>
  new PaddockError(ErrorCode.Internal, `exit ${exitCode}: ${stderr}`);

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += new TextDecoder().decode(chunk);
  return text;
}

describe('readFileStream', () => {
  it('answers the size and exactly the bytes after it', async () => {
    const { handle } = printed(['5\nhe', 'llo']);
    const read = await readFileStream(handle, '/w/f', failure);
    assert.equal(read.sizeBytes, 5);
    assert.equal(await collect(read.stream), 'hello');
  });

  it("rejects with the runtime's failure when the script exits non-zero before the size", async () => {
    const { handle } = printed([], 4);
    await assert.rejects(readFileStream(handle, '/w/f', failure), /^PaddockError: exit 4: $/);
  });

  it('errors the stream with conflict when the file ends short of its size (exit 0)', async () => {
    const { handle } = printed(['5\nab']);
    const read = await readFileStream(handle, '/w/f', failure);
    await assert.rejects(collect(read.stream), (error) => isPaddockError(error, 'conflict'));
  });

  it('rejects an answer whose first line is not a size, and kills the process', async () => {
    const { handle, killed } = printed(['five\nhello']);
    await assert.rejects(readFileStream(handle, '/w/f', failure), (error) => {
      assert.ok(isPaddockError(error, 'internal'));
      assert.equal(error.message, 'reading /w/f failed: no size came first');
      return true;
    });
    assert.deepEqual(killed, ['SIGKILL']);
  });

  it('rejects an answer with no newline in its first bytes', async () => {
    const { handle, killed } = printed(['1'.repeat(40)]);
    await assert.rejects(readFileStream(handle, '/w/f', failure), /no size came first/);
    assert.deepEqual(killed, ['SIGKILL']);
  });

  it('errors the stream when the answer holds more bytes than its size', async () => {
    const { handle, killed } = printed(['3\nabc', 'def']);
    const read = await readFileStream(handle, '/w/f', failure);
    await assert.rejects(collect(read.stream), (error) => {
      assert.ok(isPaddockError(error, 'internal'));
      assert.equal(error.message, 'reading /w/f answered more than the 3 bytes the file holds');
      return true;
    });
    assert.deepEqual(killed, ['SIGKILL']);
  });
});

describe('fileBytesOf', () => {
  it('refuses a read past its bound before taking any byte, and cancels it', async () => {
    let isCancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      cancel: () => {
        isCancelled = true;
      },
    });
    await assert.rejects(fileBytesOf({ sizeBytes: 11, stream }, '/w/big', 10), (error) => {
      assert.ok(isPaddockError(error, 'payload_too_large'));
      assert.deepEqual(error.details, { path: '/w/big', limitBytes: 10 });
      return true;
    });
    assert.ok(isCancelled);
  });
});
