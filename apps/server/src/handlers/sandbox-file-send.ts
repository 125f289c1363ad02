import type { SandboxRef } from '@paddock/core';
import { type Reply, streamed } from '../http/respond.ts';
import type { HandlerCall } from '../server-deps.ts';
import { sendFileStream } from './file-stream.ts';

/**
 * Streams the file at `path` as the response, with its Content-Length (and `headers`).
 * Refusals (not_found, a directory, outside the sandbox) come before any byte is sent.
 */
export async function sendFile(
  call: HandlerCall,
  ref: SandboxRef,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const read = await call.deps.engine.runtime.files.readStream(ref, path);
  return send(call, read.stream, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': read.sizeBytes,
  });
}

/** Streams a tar archive of the file or directory at `path` as the response (and `headers`). */
export async function sendArchive(
  call: HandlerCall,
  ref: SandboxRef,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const tar = await call.deps.engine.runtime.files.download(ref, path);
  // At the client's pace too: a slow client must not make the server hold the archive.
  return send(call, tar, { ...headers, 'content-type': 'application/x-tar' });
}

/** A 200 with `headers` and the request id, then `stream` as its body; a failure midway throws. */
async function send(
  call: HandlerCall,
  stream: ReadableStream<Uint8Array>,
  headers: Record<string, string | number>,
): Promise<Reply> {
  call.res.writeHead(200, { ...headers, 'x-request-id': call.ctx.requestId });
  const failure = await sendFileStream(call.res, stream);
  if (failure !== undefined) throw failure;
  return streamed();
}
