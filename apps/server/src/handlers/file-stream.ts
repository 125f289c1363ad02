import type { ServerResponse } from 'node:http';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isPaddockError, type PaddockError } from '@paddock/core';

/**
 * Sends a file read's stream (`SandboxFiles.readStream`, or an archive's) as the body of `res`,
 * whose headers are written, at the pace the client takes it: the copy inside the sandbox waits while the client
 * is slow, so the server holds a few chunks, never the file. A client gone cancels the read. A
 * read that fails midway destroys the response, so the client sees a cut body (short of its
 * Content-Length, or a chunked body never ended), never a whole one; its error is returned for
 * the caller to record. `through` is applied on the way (gzip).
 */
export async function sendFileStream(
  res: ServerResponse,
  stream: ReadableStream<Uint8Array>,
  through?: Transform,
): Promise<PaddockError | undefined> {
  try {
    const source = Readable.fromWeb(stream as WebReadableStream<Uint8Array>);
    if (through === undefined) await pipeline(source, res);
    else await pipeline(source, through, res);
    return undefined;
  } catch (error) {
    res.destroy();
    // Anything else is the client going away (a premature close): nothing to report.
    return isPaddockError(error) ? error : undefined;
  }
}
